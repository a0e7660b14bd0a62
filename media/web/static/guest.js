/* The co-host guest's page: publisher.js with the invite token from the link's #invite=… fragment. */
(function () {
  "use strict";
  var LR = window.LR, T = LR.T, cfg = LR.config;
  var $ = function (id) { return document.getElementById(id); };
  var token = new URLSearchParams(location.hash.replace(/^#/, "")).get("invite") || "";

  function attachPublisher() {
    if (!token) { $("guest-error").hidden = false; return; }
    if (!window.LiveroomPublisher || window.LiveroomGuest.publisher) return;
    window.LiveroomGuest.publisher = window.LiveroomPublisher.attach($("publisher-slot"), cfg.room, {
      token: token, base: "", iceServers: cfg.ice || [],
      texts: Object.assign({}, cfg.publisher_texts, { busy: T.guest_busy, badToken: T.guest_bad_token })
    });
  }
  window.LiveroomGuest = { room: cfg.room, publisher: null };
  // publisher.js is deferred: attach it once the document has been parsed.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", attachPublisher);
  else attachPublisher();
})();
