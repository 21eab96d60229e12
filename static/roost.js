// Progressive enhancement only: every page works without this file.
// It reveals the "Copy" button beside the handle and copies the handle.
document.querySelectorAll("button.copy[data-copy]").forEach(function (b) {
  if (!navigator.clipboard) return;
  b.hidden = false;
  b.addEventListener("click", function () {
    navigator.clipboard.writeText(b.dataset.copy).then(function () {
      var old = b.textContent;
      b.textContent = "Copied";
      setTimeout(function () { b.textContent = old; }, 1500);
    });
  });
});
