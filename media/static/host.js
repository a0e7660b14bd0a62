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
  window.LiveroomHost = { room: cfg.room, setNextCue: function (text) { $("next-cue-text").textContent = text || T.no_cue; } };
})();
