package handlers

import (
	"net/http"
)

// Roost has no notification requests (Mastodon 4.3's filtered inbox):
// every notification is delivered. These endpoints say so in the shapes
// the apps read, so that their settings screens work instead of failing.

type notificationPolicySummary struct {
	PendingRequestsCount      int `json:"pending_requests_count"`
	PendingNotificationsCount int `json:"pending_notifications_count"`
}

// notificationPolicy is NotificationPolicy (v2): everything accepted.
type notificationPolicy struct {
	ForNotFollowing    string                    `json:"for_not_following"`
	ForNotFollowers    string                    `json:"for_not_followers"`
	ForNewAccounts     string                    `json:"for_new_accounts"`
	ForPrivateMentions string                    `json:"for_private_mentions"`
	ForLimitedAccounts string                    `json:"for_limited_accounts"`
	Summary            notificationPolicySummary `json:"summary"`
}

// notificationPolicyV1 is the v1 NotificationPolicy: nothing filtered.
type notificationPolicyV1 struct {
	FilterNotFollowing    bool                      `json:"filter_not_following"`
	FilterNotFollowers    bool                      `json:"filter_not_followers"`
	FilterNewAccounts     bool                      `json:"filter_new_accounts"`
	FilterPrivateMentions bool                      `json:"filter_private_mentions"`
	Summary               notificationPolicySummary `json:"summary"`
}

func (s *Server) getNotificationPolicy(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, notificationPolicy{ForNotFollowing: "accept", ForNotFollowers: "accept",
		ForNewAccounts: "accept", ForPrivateMentions: "accept", ForLimitedAccounts: "accept"})
	return nil
}

func (s *Server) getNotificationPolicyV1(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, notificationPolicyV1{})
	return nil
}
