package ap

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// FuzzDecode checks that Decode never panics on any input, and that whatever
// it accepts re-marshals, decodes again to the same Object, and marshals to
// the same bytes. It is seeded with every shared fixture.
func FuzzDecode(f *testing.F) {
	for _, path := range vocabFixtureFiles(f) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// Shapes the fixtures lack: bare PEM key, boolean closed, prefixed keys,
	// type arrays, mixed arrays and deep-ish nesting.
	f.Add([]byte(`{"publicKey":"-----BEGIN PUBLIC KEY-----\nAA==","closed":true,"toot:discoverable":"true",` +
		`"type":["Note",1,"x"],"to":["a",{"id":"b"},null,[1]],"object":{"object":{"object":{"type":"Note"}}}}`))
	f.Add([]byte(`{"published":"0000-01-01T00:00:00+01:00","width":"1e3","focalPoint":[null,1],"tag":"t"}`))

	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := Decode(data)
		if err != nil {
			return
		}
		b1, err := Marshal(o)
		if err != nil {
			t.Fatalf("Marshal of a decoded object: %v", err)
		}
		if !json.Valid(b1) {
			t.Fatalf("Marshal produced invalid JSON: %s", b1)
		}
		o2, err := Decode(b1)
		if err != nil {
			t.Fatalf("Decode(Marshal(o)): %v\n%s", err, b1)
		}
		if !reflect.DeepEqual(o, o2) {
			t.Fatalf("round trip changed the object:\n%s", b1)
		}
		b2, err := Marshal(o2)
		if err != nil || !bytes.Equal(b1, b2) {
			t.Fatalf("Marshal not stable (err %v):\n%s\n%s", err, b1, b2)
		}
		if _, err := json.Marshal(o); err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
	})
}
