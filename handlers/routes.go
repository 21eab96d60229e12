package handlers

import (
	"net/http"
)

func (s *Server) routes(mux *http.ServeMux) {
	// Discovery.
	mux.HandleFunc("GET /.well-known/webfinger", cors(s.ap(s.getWebFinger)))
	mux.HandleFunc("GET /.well-known/host-meta", cors(s.ap(s.getHostMeta)))
	mux.HandleFunc("GET /.well-known/host-meta.json", cors(s.ap(s.getHostMetaJSON)))
	mux.HandleFunc("GET /.well-known/nodeinfo", cors(s.ap(s.getNodeInfoLinks)))
	mux.HandleFunc("GET /nodeinfo/{version}", cors(s.ap(s.getNodeInfo)))

	// OAuth and app registration (oauth.go). CORS for browser clients on
	// /api, /oauth/token, /oauth/revoke and discovery is corsMiddleware,
	// applied in Handler.
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", s.api(s.getOAuthMetadata))
	mux.HandleFunc("POST /api/v1/apps", s.api(s.postApp))
	mux.HandleFunc("GET /api/v1/apps/verify_credentials", s.authed("", s.getAppCredentials))
	mux.HandleFunc("GET /oauth/authorize", s.page(s.getAuthorize))
	mux.HandleFunc("POST /oauth/authorize", s.page(s.postAuthorize))
	mux.HandleFunc("POST /oauth/token", s.oauthJSON(s.postToken))
	mux.HandleFunc("POST /oauth/revoke", s.oauthJSON(s.postRevoke))

	// ActivityPub documents (HTML for browsers where a page exists).
	mux.HandleFunc("GET /users/{username}", s.ap(s.getActor))
	mux.HandleFunc("GET /users/{username}/outbox", s.ap(s.getOutbox))
	mux.HandleFunc("GET /users/{username}/followers", s.ap(s.getFollowers))
	mux.HandleFunc("GET /users/{username}/following", s.ap(s.getFollowing))
	mux.HandleFunc("GET /users/{username}/collections/featured", s.ap(s.getFeatured))
	mux.HandleFunc("GET /users/{username}/collections/tags", s.ap(s.getFeaturedTags))
	mux.HandleFunc("GET /users/{username}/statuses/{id}", s.ap(s.getStatusObject))
	mux.HandleFunc("GET /users/{username}/statuses/{id}/activity", s.ap(s.getStatusActivity))

	// Inboxes.
	mux.HandleFunc("POST /inbox", s.ap(s.postInbox))
	mux.HandleFunc("POST /users/{username}/inbox", s.ap(s.postInbox))

	// Mastodon API: the instance, and public reads of accounts and
	// statuses (api_instance.go).
	mux.HandleFunc("GET /api/v1/instance", s.api(s.getInstanceV1))
	mux.HandleFunc("GET /api/v2/instance", s.api(s.getInstanceV2))
	mux.HandleFunc("GET /api/v1/instance/rules", s.api(s.getInstanceRules))
	mux.HandleFunc("GET /api/v1/instance/peers", s.api(s.getInstancePeers))
	mux.HandleFunc("GET /api/v1/instance/activity", s.api(s.getInstanceActivity))
	mux.HandleFunc("GET /api/v1/instance/extended_description", s.api(s.getExtendedDescription))
	mux.HandleFunc("GET /api/v1/custom_emojis", s.api(s.getEmptyList))
	mux.HandleFunc("GET /api/v1/announcements", s.api(s.getEmptyList))
	mux.HandleFunc("GET /api/v1/trends", s.api(s.getEmptyList))
	mux.HandleFunc("GET /api/v1/trends/tags", s.api(s.getEmptyList))
	mux.HandleFunc("GET /api/v1/trends/statuses", s.api(s.getEmptyList))
	mux.HandleFunc("GET /api/v1/trends/links", s.api(s.getEmptyList))
	mux.HandleFunc("GET /api/v2/suggestions", s.api(s.getEmptyList))
	mux.HandleFunc("GET /api/v1/accounts/lookup", s.optionalAuth(s.lookupAccount))
	mux.HandleFunc("GET /api/v1/accounts/{id}", s.optionalAuth(s.getAccount))
	mux.HandleFunc("GET /api/v1/statuses/{id}", s.optionalAuth(s.getStatus))
	mux.HandleFunc("GET /api/v1/preferences", s.ownerAuthed("read:accounts", s.getPreferences))

	// Mastodon API: the owner's statuses, timelines and notifications
	// (api_statuses*.go, api_timelines.go).
	mux.HandleFunc("GET /api/v1/accounts/verify_credentials", s.ownerAuthed("read:accounts profile", s.getVerifyCredentials))
	mux.HandleFunc("POST /api/v1/statuses", s.ownerAuthed("write:statuses", s.postStatus))
	mux.HandleFunc("PUT /api/v1/statuses/{id}", s.ownerAuthed("write:statuses", s.putStatus))
	mux.HandleFunc("DELETE /api/v1/statuses/{id}", s.ownerAuthed("write:statuses", s.deleteStatus))
	mux.HandleFunc("GET /api/v1/statuses/{id}/context", s.optionalAuth(s.getStatusContext))
	mux.HandleFunc("GET /api/v1/statuses/{id}/history", s.optionalAuth(s.getStatusHistory))
	mux.HandleFunc("GET /api/v1/statuses/{id}/source", s.ownerAuthed("read:statuses", s.getStatusSource))
	mux.HandleFunc("GET /api/v1/statuses/{id}/reblogged_by", s.optionalAuth(s.interactingAccounts(s.st.ListBoostedBy)))
	mux.HandleFunc("GET /api/v1/statuses/{id}/favourited_by", s.optionalAuth(s.interactingAccounts(s.st.ListFavouritedBy)))
	mux.HandleFunc("POST /api/v1/statuses/{id}/favourite", s.ownerAuthed("write:favourites", s.statusAction(s.fed.Favourite)))
	mux.HandleFunc("POST /api/v1/statuses/{id}/unfavourite", s.ownerAuthed("write:favourites", s.statusAction(s.fed.Unfavourite)))
	mux.HandleFunc("POST /api/v1/statuses/{id}/reblog", s.ownerAuthed("write:statuses", s.statusAction(s.reblogAction)))
	mux.HandleFunc("POST /api/v1/statuses/{id}/unreblog", s.ownerAuthed("write:statuses", s.statusAction(s.fed.Unboost)))
	mux.HandleFunc("POST /api/v1/statuses/{id}/bookmark", s.ownerAuthed("write:bookmarks", s.setBookmark(true)))
	mux.HandleFunc("POST /api/v1/statuses/{id}/unbookmark", s.ownerAuthed("write:bookmarks", s.setBookmark(false)))
	mux.HandleFunc("POST /api/v1/statuses/{id}/pin", s.ownerAuthed("write:accounts", s.setPinned(true)))
	mux.HandleFunc("POST /api/v1/statuses/{id}/unpin", s.ownerAuthed("write:accounts", s.setPinned(false)))
	mux.HandleFunc("GET /api/v1/polls/{id}", s.optionalAuth(s.getPoll))
	mux.HandleFunc("POST /api/v1/polls/{id}/votes", s.ownerAuthed("write:statuses", s.postPollVotes))
	mux.HandleFunc("GET /api/v1/timelines/home", s.ownerAuthed("read:statuses", s.getHomeTimeline))
	mux.HandleFunc("GET /api/v1/timelines/public", s.optionalAuth(s.getPublicTimeline))
	mux.HandleFunc("GET /api/v1/timelines/tag/{hashtag}", s.optionalAuth(s.getTagTimeline))
	mux.HandleFunc("GET /api/v1/notifications", s.ownerAuthed("read:notifications", s.getNotifications))
	mux.HandleFunc("GET /api/v1/notifications/unread_count", s.ownerAuthed("read:notifications", s.getUnreadCount))
	mux.HandleFunc("GET /api/v2/notifications", s.ownerAuthed("read:notifications", s.getGroupedNotifications))
	mux.HandleFunc("GET /api/v2/notifications/unread_count", s.ownerAuthed("read:notifications", s.getUnreadCount))
	mux.HandleFunc("GET /api/v1/notifications/{id}", s.ownerAuthed("read:notifications", s.getNotification))
	mux.HandleFunc("POST /api/v1/notifications/clear", s.ownerAuthed("write:notifications", s.postClearNotifications))
	mux.HandleFunc("POST /api/v1/notifications/{id}/dismiss", s.ownerAuthed("write:notifications", s.postDismissNotification))
	mux.HandleFunc("GET /api/v1/markers", s.ownerAuthed("read:statuses", s.getMarkers))
	mux.HandleFunc("POST /api/v1/markers", s.ownerAuthed("write:statuses", s.postMarkers))

	// Mastodon API: accounts and search (api_accounts.go, api_search.go).
	mux.HandleFunc("PATCH /api/v1/accounts/update_credentials", s.ownerAuthed("write:accounts profile", s.patchCredentials))
	mux.HandleFunc("GET /api/v1/accounts/relationships", s.ownerAuthed("read:follows", s.getRelationships))
	mux.HandleFunc("GET /api/v1/accounts/search", s.ownerAuthed("read:accounts", s.searchAccounts))
	mux.HandleFunc("GET /api/v1/accounts/{id}/statuses", s.optionalAuth(s.getAccountStatuses))
	mux.HandleFunc("GET /api/v1/accounts/{id}/followers", s.optionalAuth(s.followList(s.st.ListFollowers)))
	mux.HandleFunc("GET /api/v1/accounts/{id}/following", s.optionalAuth(s.followList(s.st.ListFollowing)))
	mux.HandleFunc("POST /api/v1/accounts/{id}/follow", s.ownerAuthed("write:follows", s.relationshipAction(s.followAction)))
	mux.HandleFunc("POST /api/v1/accounts/{id}/unfollow", s.ownerAuthed("write:follows", s.relationshipAction(s.unfollowAction)))
	mux.HandleFunc("POST /api/v1/accounts/{id}/block", s.ownerAuthed("write:blocks", s.relationshipAction(s.blockAction)))
	mux.HandleFunc("POST /api/v1/accounts/{id}/unblock", s.ownerAuthed("write:blocks", s.relationshipAction(s.unblockAction)))
	mux.HandleFunc("POST /api/v1/accounts/{id}/mute", s.ownerAuthed("write:mutes", s.relationshipAction(s.muteAction)))
	mux.HandleFunc("POST /api/v1/accounts/{id}/unmute", s.ownerAuthed("write:mutes", s.relationshipAction(s.unmuteAction)))
	mux.HandleFunc("POST /api/v1/accounts/{id}/remove_from_followers", s.ownerAuthed("write:follows", s.relationshipAction(s.removeFromFollowersAction)))
	mux.HandleFunc("POST /api/v1/accounts/{id}/note", s.ownerAuthed("write:accounts", s.relationshipAction(s.noteAction)))
	mux.HandleFunc("GET /api/v2/search", s.optionalAuth(s.getSearch))
	// Notification requests do not exist here: every notification is
	// delivered (api_notification_policy.go).
	mux.HandleFunc("GET /api/v2/notifications/policy", s.ownerAuthed("read:notifications", s.getNotificationPolicy))
	mux.HandleFunc("PATCH /api/v2/notifications/policy", s.ownerAuthed("write:notifications", s.getNotificationPolicy))
	mux.HandleFunc("GET /api/v1/notifications/policy", s.ownerAuthed("read:notifications", s.getNotificationPolicyV1))
	mux.HandleFunc("PUT /api/v1/notifications/policy", s.ownerAuthed("write:notifications", s.getNotificationPolicyV1))
	mux.HandleFunc("GET /api/v1/notifications/requests", s.ownerAuthed("read:notifications", s.getEmptyList))
	mux.HandleFunc("GET /api/v1/instance/domain_blocks", s.api(s.getEmptyList))
	mux.HandleFunc("GET /api/v1/follow_requests", s.ownerAuthed("read:follows", s.getFollowRequests))
	mux.HandleFunc("POST /api/v1/follow_requests/{id}/authorize", s.ownerAuthed("write:follows", s.answerFollowRequest(true)))
	mux.HandleFunc("POST /api/v1/follow_requests/{id}/reject", s.ownerAuthed("write:follows", s.answerFollowRequest(false)))

	// Mastodon API: scheduled statuses and reports (api_scheduled.go,
	// api_reports.go).
	mux.HandleFunc("GET /api/v1/scheduled_statuses", s.ownerAuthed("read:statuses", s.getScheduledStatuses))
	mux.HandleFunc("GET /api/v1/scheduled_statuses/{id}", s.ownerAuthed("read:statuses", s.getScheduledStatus))
	mux.HandleFunc("PUT /api/v1/scheduled_statuses/{id}", s.ownerAuthed("write:statuses", s.putScheduledStatus))
	mux.HandleFunc("DELETE /api/v1/scheduled_statuses/{id}", s.ownerAuthed("write:statuses", s.deleteScheduledStatus))
	mux.HandleFunc("POST /api/v1/reports", s.ownerAuthed("write:reports", s.postReport))

	// Mastodon API: the owner's lists of statuses and relationships,
	// hashtags, direct conversations, link previews, the directory and
	// translation (api_more.go, api_tags.go, api_conversations.go,
	// api_cards.go).
	mux.HandleFunc("GET /api/v1/bookmarks", s.ownerAuthed("read:bookmarks", s.getBookmarks))
	mux.HandleFunc("GET /api/v1/favourites", s.ownerAuthed("read:favourites", s.getFavourites))
	mux.HandleFunc("GET /api/v1/endorsements", s.ownerAuthed("read:accounts", s.accountPage(s.listEndorsed)))
	mux.HandleFunc("POST /api/v1/accounts/{id}/pin", s.ownerAuthed("write:accounts", s.relationshipAction(s.endorseAction(true))))
	mux.HandleFunc("POST /api/v1/accounts/{id}/unpin", s.ownerAuthed("write:accounts", s.relationshipAction(s.endorseAction(false))))
	mux.HandleFunc("GET /api/v1/mutes", s.ownerAuthed("read:mutes", s.accountPage(s.listMuted)))
	mux.HandleFunc("GET /api/v1/blocks", s.ownerAuthed("read:blocks", s.accountPage(s.listBlocked)))
	mux.HandleFunc("GET /api/v1/domain_blocks", s.ownerAuthed("read:blocks", s.getDomainBlocks))
	mux.HandleFunc("POST /api/v1/domain_blocks", s.ownerAuthed("write:blocks", s.postDomainBlock))
	mux.HandleFunc("DELETE /api/v1/domain_blocks", s.ownerAuthed("write:blocks", s.deleteDomainBlock))
	mux.HandleFunc("GET /api/v1/accounts/familiar_followers", s.ownerAuthed("read:follows", s.getFamiliarFollowers))
	mux.HandleFunc("GET /api/v1/accounts/{id}/featured_tags", s.optionalAuth(s.getAccountFeaturedTags))
	mux.HandleFunc("GET /api/v1/directory", s.optionalAuth(s.getDirectory))
	mux.HandleFunc("GET /api/v1/featured_tags", s.ownerAuthed("read:accounts", s.getFeaturedTagsAPI))
	mux.HandleFunc("POST /api/v1/featured_tags", s.ownerAuthed("write:accounts", s.postFeaturedTag))
	mux.HandleFunc("GET /api/v1/featured_tags/suggestions", s.ownerAuthed("read:accounts", s.getFeaturedTagSuggestions))
	mux.HandleFunc("DELETE /api/v1/featured_tags/{id}", s.ownerAuthed("write:accounts", s.deleteFeaturedTag))
	mux.HandleFunc("GET /api/v1/followed_tags", s.ownerAuthed("read:follows", s.getFollowedTags))
	mux.HandleFunc("GET /api/v1/tags/{name}", s.optionalAuth(s.getTag))
	mux.HandleFunc("POST /api/v1/tags/{name}/follow", s.ownerAuthed("write:follows", s.followTag(true)))
	mux.HandleFunc("POST /api/v1/tags/{name}/unfollow", s.ownerAuthed("write:follows", s.followTag(false)))
	mux.HandleFunc("GET /api/v1/conversations", s.ownerAuthed("read:statuses", s.getConversations))
	mux.HandleFunc("DELETE /api/v1/conversations/{id}", s.ownerAuthed("write:conversations", s.deleteConversation))
	mux.HandleFunc("POST /api/v1/conversations/{id}/read", s.ownerAuthed("write:conversations", s.postConversationRead))
	mux.HandleFunc("POST /api/v1/statuses/{id}/mute", s.ownerAuthed("write:mutes", s.muteConversation(true)))
	mux.HandleFunc("POST /api/v1/statuses/{id}/unmute", s.ownerAuthed("write:mutes", s.muteConversation(false)))
	mux.HandleFunc("GET /api/v1/statuses/{id}/card", s.optionalAuth(s.getStatusCard))
	mux.HandleFunc("GET /api/v1/instance/translation_languages", s.api(s.getTranslationLanguages))
	mux.HandleFunc("POST /api/v1/statuses/{id}/translate", s.ownerAuthed("read:statuses", s.postTranslate))

	// Mastodon API: lists and filters (api_lists.go, api_filters.go;
	// filtering.go applies filters). /api/v2/filters/{id}/keywords and
	// /api/v2/filters/keywords/{id} would conflict in the mux, so one
	// pattern per method serves both (filterSubroute).
	mux.HandleFunc("GET /api/v1/lists", s.ownerAuthed("read:lists", s.getLists))
	mux.HandleFunc("POST /api/v1/lists", s.ownerAuthed("write:lists", s.postList))
	mux.HandleFunc("GET /api/v1/lists/{id}", s.ownerAuthed("read:lists", s.getList))
	mux.HandleFunc("PUT /api/v1/lists/{id}", s.ownerAuthed("write:lists", s.putList))
	mux.HandleFunc("DELETE /api/v1/lists/{id}", s.ownerAuthed("write:lists", s.deleteList))
	mux.HandleFunc("GET /api/v1/lists/{id}/accounts", s.ownerAuthed("read:lists", s.getListAccounts))
	mux.HandleFunc("POST /api/v1/lists/{id}/accounts", s.ownerAuthed("write:lists", s.postListAccounts))
	mux.HandleFunc("DELETE /api/v1/lists/{id}/accounts", s.ownerAuthed("write:lists", s.deleteListAccounts))
	mux.HandleFunc("GET /api/v1/accounts/{id}/lists", s.ownerAuthed("read:lists", s.getAccountLists))
	mux.HandleFunc("GET /api/v1/timelines/list/{id}", s.ownerAuthed("read:lists", s.getListTimeline))
	mux.HandleFunc("GET /api/v2/filters", s.ownerAuthed("read:filters", s.getFilters))
	mux.HandleFunc("POST /api/v2/filters", s.ownerAuthed("write:filters", s.postFilter))
	mux.HandleFunc("GET /api/v2/filters/{id}", s.ownerAuthed("read:filters", s.getFilter))
	mux.HandleFunc("PUT /api/v2/filters/{id}", s.ownerAuthed("write:filters", s.putFilter))
	mux.HandleFunc("DELETE /api/v2/filters/{id}", s.ownerAuthed("write:filters", s.deleteFilter))
	mux.HandleFunc("GET /api/v2/filters/{a}/{b}", s.ownerAuthed("read:filters", s.filterSubroute(s.getFilterKeyword, s.getFilterStatus, s.getFilterKeywords, s.getFilterStatuses)))
	mux.HandleFunc("POST /api/v2/filters/{a}/{b}", s.ownerAuthed("write:filters", s.filterSubroute(nil, nil, s.postFilterKeyword, s.postFilterStatus)))
	mux.HandleFunc("PUT /api/v2/filters/{a}/{b}", s.ownerAuthed("write:filters", s.filterSubroute(s.putFilterKeyword, nil, nil, nil)))
	mux.HandleFunc("DELETE /api/v2/filters/{a}/{b}", s.ownerAuthed("write:filters", s.filterSubroute(s.deleteFilterKeyword, s.deleteFilterStatus, nil, nil)))
	mux.HandleFunc("GET /api/v1/filters", s.ownerAuthed("read:filters", s.getV1Filters))
	mux.HandleFunc("POST /api/v1/filters", s.ownerAuthed("write:filters", s.postV1Filter))
	mux.HandleFunc("GET /api/v1/filters/{id}", s.ownerAuthed("read:filters", s.getV1Filter))
	mux.HandleFunc("PUT /api/v1/filters/{id}", s.ownerAuthed("write:filters", s.putV1Filter))
	mux.HandleFunc("DELETE /api/v1/filters/{id}", s.ownerAuthed("write:filters", s.deleteV1Filter))

	// Mastodon API: streaming (streaming.go). One handler serves the
	// WebSocket (/api/v1/streaming, /api/v1/streaming/) and the
	// server-sent events of /api/v1/streaming/user, …/public/local and
	// the rest; it authenticates itself (the token may also come in
	// Sec-WebSocket-Protocol).
	mux.HandleFunc("GET /api/v1/streaming/health", s.getStreamingHealth)
	mux.HandleFunc("GET /api/v1/streaming", s.api(s.getStreaming))
	mux.HandleFunc("GET /api/v1/streaming/{stream...}", s.api(s.getStreaming))

	// Mastodon API: media uploads (api_media.go), and the files
	// themselves. The files route names the three segments media writes
	// (<yyyy>/<mm>/<name>.<ext>): "/media/{path...}" would conflict
	// with "/{handle}/{id}".
	mux.HandleFunc("POST /api/v1/media", s.ownerAuthed("write:media", s.postMedia))
	mux.HandleFunc("POST /api/v2/media", s.ownerAuthed("write:media", s.postMedia))
	mux.HandleFunc("GET /api/v1/media/{id}", s.ownerAuthed("write:media", s.getMedia))
	mux.HandleFunc("PUT /api/v1/media/{id}", s.ownerAuthed("write:media", s.putMedia))
	mux.HandleFunc("DELETE /api/v1/media/{id}", s.ownerAuthed("write:media", s.deleteMedia))
	mux.HandleFunc("GET /media/{year}/{month}/{file}", s.ap(s.getMediaFile))

	// Mastodon API: Web Push subscriptions, one per token (push.go).
	mux.HandleFunc("POST /api/v1/push/subscription", s.ownerAuthed("push", s.postPushSubscription))
	mux.HandleFunc("GET /api/v1/push/subscription", s.ownerAuthed("push", s.getPushSubscription))
	mux.HandleFunc("PUT /api/v1/push/subscription", s.ownerAuthed("push", s.putPushSubscription))
	mux.HandleFunc("DELETE /api/v1/push/subscription", s.ownerAuthed("push", s.deletePushSubscription))

	// Public pages. The mux cannot match "/@{name}", so /{handle} checks
	// for the @ itself.
	mux.HandleFunc("GET /{$}", s.page(s.getHome))
	mux.HandleFunc("GET /{handle}", s.page(s.getProfileOrFeed))
	mux.HandleFunc("GET /{handle}/{id}", s.page(s.getStatusPage))
	mux.HandleFunc("GET /static/{file}", s.getStatic)
	mux.HandleFunc("GET /favicon.ico", s.getFavicon)
	mux.HandleFunc("GET /robots.txt", s.getRobots)
	mux.HandleFunc("/", s.page(func(w http.ResponseWriter, r *http.Request) error { return errNotFound }))
}

// cors allows browser clients on other origins to read a response.
func cors(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		h(w, r)
	}
}
