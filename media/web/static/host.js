/* The host's page: chat (as the host) and the next cue; publisher.js fills #publisher-slot. */
(function () {
  "use strict";
  var LR = window.LR, T = LR.T, cfg = LR.config;
  var $ = function (id) { return document.getElementById(id); };
  var chat = $("chat");
  var path = "/ws/" + encodeURIComponent(cfg.room) + "?role=host&csrf=" + encodeURIComponent(cfg.csrf);
  var room = LR.connect(path, function (m) {
    if (m.type === "welcome") { LR.clear(chat); m.snapshot.messages.forEach(function (l) { LR.appendChat(chat, l); }); }
    else if (m.type === "chat") LR.appendChat(chat, m);
    else if (m.type === "chat_deleted") LR.removeChat(chat, m.message_id);
    else if (m.type === "stats") $("stats").textContent = m.online + " " + T.online + " · " + m.likes + " " + T.likes;
  }, LR.connState($("conn-state")));
  $("chat-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("chat-input").value.trim();
    if (!text) return;
    room.send({ type: "chat", text: text });
    $("chat-input").value = "";
  });
  function setNextCue(text) { $("next-cue-text").textContent = text || T.no_cue; }
  window.LiveroomHost = { room: cfg.room, setNextCue: setNextCue, publisher: null };

  // publisher.js is deferred: attach it once the document has been parsed.
  function attachPublisher() {
    if (!window.LiveroomPublisher || window.LiveroomHost.publisher) return;
    window.LiveroomHost.publisher = window.LiveroomPublisher.attach($("publisher-slot"), cfg.room,
      { token: cfg.publish_token, base: "", iceServers: cfg.ice || [], texts: cfg.publisher_texts, preferVideo: cfg.prefer_video });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", attachPublisher);
  else attachPublisher();

  // 连麦: invite a guest (a link with its own token) and end the guest's stream.
  function guestApi(method) {
    return fetch("/api/media/" + encodeURIComponent(cfg.room) + "/guest", {
      method: method, credentials: "same-origin", headers: { "X-CSRF-Token": cfg.csrf }
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (!r.ok) throw new Error(body.message || String(r.status));
        return body;
      });
    });
  }
  function guestStatus(text) { $("guest-status").textContent = text; }
  function failed(err) { guestStatus(T.action_failed + err.message); }
  $("invite-guest").addEventListener("click", function () {
    guestApi("POST").then(function (body) {
      $("guest-link").value = body.link;
      $("guest-invite").hidden = false;
      guestStatus(T.guest_link_hint);
    }, failed);
  });
  $("copy-guest-link").addEventListener("click", function () {
    $("guest-link").select();
    var done = function () { $("copy-guest-link").textContent = T.copied; };
    if (navigator.clipboard) navigator.clipboard.writeText($("guest-link").value).then(done, function () {});
    else { document.execCommand("copy"); done(); }
  });
  $("end-guest").addEventListener("click", function () {
    guestApi("DELETE").then(function (body) {
      $("guest-invite").hidden = true;
      $("guest-link").value = "";
      guestStatus(body.ended ? T.guest_ended : T.guest_none);
    }, failed);
  });

  function clock(seconds) {
    var s = Math.max(0, Math.round(seconds)), m = Math.floor(s / 60);
    return m + ":" + String(s % 60).padStart(2, "0");
  }
  function describe(show) {
    var cue = show && show.next;
    if (!cue) return "";
    var label = cue.text || [cue.segment, cue.cue_id, cue.action].filter(Boolean).join(" · ");
    var wait = typeof show.now_offset === "number" ? cue.offset - show.now_offset : null;
    return label + (wait === null ? "" : " (" + (wait > 0 ? clock(wait) : T.cue_now) + ")");
  }
  function pollCue() {
    fetch("/api/show/" + encodeURIComponent(cfg.room) + "/next", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (show) { if (show) setNextCue(describe(show)); })
      .catch(function () {});
  }
  pollCue();
  setInterval(pollCue, 5000);
})();
