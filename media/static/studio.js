/* The studio (中控台): live chat with bot replies marked, the question queue, every operator command. */
(function () {
  "use strict";
  var LR = window.LR, T = LR.T, el = LR.el, cfg = LR.config;
  var $ = function (id) { return document.getElementById(id); };
  var chat = $("chat");
  var openVote = null, openLottery = null;
  var path = "/ws/" + encodeURIComponent(cfg.room) + "?role=team&csrf=" + encodeURIComponent(cfg.csrf);
  var room = LR.connect(path, handle, LR.connState($("conn-state")));

  function controls(li, m) {
    if (m.role !== "viewer") return;
    var box = el("span", { className: "msg-controls" });
    box.appendChild(el("button", { type: "button", className: "small delete", text: T.delete,
      onclick: function () { room.send({ type: "delete_message", message_id: m.id }); } }));
    if (m.viewer_id) {
      box.appendChild(el("button", { type: "button", className: "small mute", text: T.mute,
        onclick: function () { room.send({ type: "mute", viewer_id: m.viewer_id, muted: true }); } }));
    }
    li.appendChild(box);
  }

  function handle(m) {
    switch (m.type) {
      case "welcome":
        LR.clear(chat);
        m.snapshot.messages.forEach(function (line) { LR.appendChat(chat, line, controls, 500); });
        LR.clear($("questions"));
        m.snapshot.questions.forEach(addQuestion);
        openVote = m.snapshot.vote ? m.snapshot.vote.vote_id : null;
        openLottery = m.snapshot.lottery ? m.snapshot.lottery.lottery_id : null;
        if (m.snapshot.stats) numbers(m.snapshot.stats);
        return refreshQueue();
      case "chat": return LR.appendChat(chat, m, controls, 500);
      case "chat_deleted": LR.removeChat(chat, m.message_id); return removeQuestion(m.message_id);
      case "question": return addQuestion(m);
      case "question_answered": return removeQuestion(m.message_id);
      case "stats": return numbers(m);
      case "vote_open": openVote = m.vote_id; return status(T.open_vote + " · " + m.question);
      case "vote_close": openVote = null; return status(T.close_vote + " · " + (m.winner_text || "—"));
      case "lottery_open": openLottery = m.lottery_id; return status(T.open_lottery + " · " + m.prize);
      case "lottery_result": openLottery = null;
        return status(T.draw_lottery + " · " + m.winners.map(function (w) { return w.nickname; }).join("、"));
      case "pin_product": return status(m.product ? T.pin + " · " + m.product.name : T.unpin);
      case "coupon": return status(T.push_coupon + " · " + m.title);
      case "mute": return status((m.muted ? T.mute : T.unmute) + " · " + m.viewer_id);
      case "error": return status(m.message + (m.detail ? " (" + m.detail + ")" : ""), true);
    }
  }

  function status(text, bad) {
    var node = $("command-status");
    node.textContent = text;
    node.className = "notice" + (bad ? " bad" : "");
  }

  function numbers(s) {
    ["online", "peak", "likes", "clicks", "claims", "orders"].forEach(function (k) {
      if (s[k] !== undefined && s[k] !== null) $("n-" + k).textContent = s[k];
    });
  }

  function addQuestion(q) {
    if (document.getElementById("q-" + q.message_id)) return;
    var input = el("input", { maxlength: 500, placeholder: T.answer, className: "answer-input" });
    var form = el("form", { className: "answer-form", onsubmit: function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      room.send({ type: "answer_question", message_id: q.message_id, text: text });
      input.value = "";
    } }, input, el("button", { type: "submit", text: T.answer }));
    $("questions").appendChild(el("li", { id: "q-" + q.message_id, className: "question" },
      el("span", { className: "nick", text: q.nickname }), el("span", { className: "text", text: q.text }), form));
    refreshQueue();
  }

  function removeQuestion(id) {
    var node = document.getElementById("q-" + id);
    if (node) node.remove();
    refreshQueue();
  }

  function refreshQueue() { $("no-questions").hidden = $("questions").children.length > 0; }

  function value(id) { return $(id).value.trim(); }
  function number(id) { var v = $(id).value; return v === "" ? null : Number(v); }

  var pin = $("pin-sku");
  cfg.products.forEach(function (p) { pin.appendChild(el("option", { value: p.sku, text: p.name + " (" + p.sku + ")" })); });

  $("say-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = value("say-input");
    if (!text) return;
    if ($("say-role").value === "bot") room.send({ type: "say", text: text });
    else room.send({ type: "chat", text: text });
    $("say-input").value = "";
  });
  $("pin-form").addEventListener("submit", function (event) {
    event.preventDefault();
    room.send({ type: "pin_product", sku: pin.value });
  });
  $("unpin-button").addEventListener("click", function () { room.send({ type: "pin_product", sku: null }); });
  $("coupon-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var coupon = { id: value("coupon-id"), title: value("coupon-title"), link: value("coupon-link"), discount: value("coupon-discount") };
    if (number("coupon-quantity")) coupon.quantity = number("coupon-quantity");
    if (number("coupon-minutes")) coupon.valid_minutes = number("coupon-minutes");
    room.send({ type: "push_coupon", coupon: coupon });
  });
  $("vote-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var options = $("vote-options").value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
    room.send({ type: "open_vote", vote_id: value("vote-id"), question: value("vote-question"), options: options,
      duration_s: number("vote-seconds") || 60 });
  });
  $("close-vote-button").addEventListener("click", function () {
    var id = openVote || value("vote-id");
    if (id) room.send({ type: "close_vote", vote_id: id });
  });
  $("lottery-form").addEventListener("submit", function (event) {
    event.preventDefault();
    room.send({ type: "open_lottery", lottery_id: value("lottery-id"), prize: value("lottery-prize"),
      winners: number("lottery-winners") || 1, keyword: value("lottery-keyword") || null,
      window_s: number("lottery-seconds") || 120, eligibility: { min_watch_seconds: number("lottery-watch") || 0 } });
  });
  $("draw-button").addEventListener("click", function () {
    var id = openLottery || value("lottery-id");
    if (id) room.send({ type: "draw_lottery", lottery_id: id });
  });
  $("countdown-form").addEventListener("submit", function (event) {
    event.preventDefault();
    room.send({ type: "start_countdown", title: value("countdown-title"), duration_s: number("countdown-seconds") || 60 });
  });

  function rulebook() {
    fetch("/api/rulebook", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; }).then(function (book) {
      var list = LR.clear($("rulebook-errors"));
      if (!book) return;
      if (!book.errors.length) list.appendChild(el("li", { className: "ok", text: T.rulebook_ok + " · #" + book.generation }));
      book.errors.forEach(function (e) { list.appendChild(el("li", { className: "bad", text: e })); });
    }).catch(function () {});
  }
  rulebook();
  setInterval(rulebook, 5000);
})();
