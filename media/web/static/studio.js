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
      case "product_sold_out": return status(T.product_sold_out + " · " + productName(m.sku));
      case "coupon": return status(T.push_coupon + " · " + m.title);
      case "mute": return status((m.muted ? T.mute : T.unmute) + " · " + m.viewer_id);
      case "error": return status(m.message + (m.detail ? " (" + m.detail + ")" : ""), true);
    }
  }

  function productName(sku) {
    var known = cfg.products.filter(function (p) { return p.sku === sku; })[0];
    return known ? known.name : sku;
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

  var shows = [];
  function rulebook() {
    fetch("/api/rulebook", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; }).then(function (book) {
      var list = LR.clear($("rulebook-errors"));
      if (!book) return;
      if (!book.errors.length) list.appendChild(el("li", { className: "ok", text: T.rulebook_ok + " · #" + book.generation }));
      book.errors.forEach(function (e) { list.appendChild(el("li", { className: "bad", text: e })); });
      setShows(book.shows || []);
    }).catch(function () {});
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; });
  }

  // Stream health (推流状态): the media server's latest sample of the host (and guest) feed.
  function fmt(v, digits) { return v === null || v === undefined ? "—" : (typeof v === "number" ? v.toFixed(digits || 0) : String(v)); }
  function health() {
    getJSON("/api/media/" + encodeURIComponent(cfg.room) + "/health").then(function (h) {
      if (!h) return;
      var state = $("stream-state");
      state.textContent = h.live ? T.live : T.offline;
      state.className = "stream-state " + (h.live ? "ok" : "muted");
      var grid = LR.clear($("stream-numbers"));
      function row(label, value) { grid.appendChild(el("div", null, el("dt", { text: label }), el("dd", { text: value }))); }
      row(T.viewers_media, fmt(h.viewers));
      var pb = h.playback;
      if (pb) {  // how the viewers watch: WebRTC here, an SFU's WebRTC, HLS (and how many fell back to it)
        row(T.watch_paths, T.path_whep + " " + pb.whep + " · " + T.path_sfu + " " + pb.sfu + " · " + T.path_hls + " " + pb.hls +
          (pb.fallback ? " (" + T.path_fallback + " " + pb.fallback + ")" : ""));
      }
      ["host", "guest"].forEach(function (slot) {
        var s = h[slot];
        if (!s) return;
        var prefix = slot === "guest" ? T.guest + " · " : "";
        row(prefix + T.bitrate, fmt(s.bitrate_kbps));
        row(prefix + T.fps, fmt(s.fps, 1));
        row(prefix + T.loss, s.packet_loss === null || s.packet_loss === undefined ? "—" : (s.packet_loss * 100).toFixed(1) + "%");
        row(prefix + T.resolution, s.width ? s.width + "×" + s.height : "—");
      });
    }).catch(function () {});
  }

  // Run of show (直播流程): the runner's timeline and its controls.
  function setShows(ids) {
    var select = $("show-id"), current = select.value;
    if (ids.join("\n") === shows.join("\n")) return;
    shows = ids.slice();
    LR.clear(select);
    shows.forEach(function (id) { select.appendChild(el("option", { value: id, text: id })); });
    if (current && shows.indexOf(current) >= 0) select.value = current;
  }
  function clock(seconds) {
    var s = Math.max(0, Math.round(seconds)), m = Math.floor(s / 60);
    return m + ":" + String(s % 60).padStart(2, "0");
  }
  // What the cue will say or do, its text filled in (the runner's words), and which cue it is.
  // A moment on the room's clock (room.yaml timezone), whatever the browser's own time zone.
  function roomTime(at) {
    try { return new Date(at).toLocaleTimeString(cfg.language === "en" ? "en-GB" : "zh-CN", { timeZone: cfg.timezone, hour12: false }); }
    catch (e) { return new Date(at).toLocaleTimeString(); }
  }
  function cueLabel(c) {
    var id = [c.segment, c.cue_id].filter(Boolean).join(" · ");
    return c.text ? c.text + " [" + id + "]" : [id, c.action].join(" · ");
  }
  function renderShow(show) {
    var list = LR.clear($("show-timeline"));
    if (!show || !show.run_id) {
      $("show-status").textContent = T.no_show;
      $("show-next").textContent = T.no_cue;
      if (show && show.shows) setShows(show.shows);
      return buttons("idle");
    }
    $("show-status").textContent = (show.title || show.show_id) + " · " + (T["status_" + show.status] || show.status) +
      " · " + clock(show.now_offset || 0) + (show.speed && show.speed !== 1 ? " · ×" + show.speed : "");
    $("show-next").textContent = show.next ? cueLabel(show.next) + " @ " + clock(show.next.offset) : T.no_cue;
    show.cues.forEach(function (c) {
      var li = el("li", { className: "cue state-" + c.state, "data-key": c.key },
        el("span", { className: "cue-at", text: clock(c.offset) }),
        el("span", { className: "cue-label", text: cueLabel(c) }),
        el("span", { className: "cue-state", text: T["state_" + c.state] || c.state }));
      if (c.state === "pending" && (show.status === "running" || show.status === "paused") && c.action !== "end") {
        li.appendChild(el("button", { type: "button", className: "small", text: T.show_fire,
          onclick: function () { act("fire", { cue: c.key }); } }));
        li.appendChild(el("button", { type: "button", className: "small", text: T.show_skip,
          onclick: function () { act("skip", { cue: c.key }); } }));
      }
      list.appendChild(li);
    });
    buttons(show.status);
  }
  function buttons(status) {
    var live = status === "running" || status === "paused";
    $("show-start").disabled = live;
    $("show-pause").disabled = status !== "running";
    $("show-resume").disabled = status !== "paused";
    $("show-skip").disabled = !live;
    $("show-fire").disabled = !live;
  }
  function showMessage(text, bad) {
    var node = $("show-message");
    node.textContent = text;
    node.className = "notice" + (bad ? " bad" : "");
  }
  function timeline() {
    getJSON("/api/show/" + encodeURIComponent(cfg.room)).then(function (show) { if (show) renderShow(show); }).catch(function () {});
  }
  function act(action, body) {
    fetch("/api/show/" + encodeURIComponent(cfg.room) + "/" + action, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": cfg.csrf },
      body: JSON.stringify(body || {})
    }).then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); }).then(function (res) {
      if (!res.ok) return showMessage(res.body.message || res.body.error, true);
      showMessage(T.done);
      if (res.body.show) renderShow(res.body.show);
    }).catch(function (e) { showMessage(String(e), true); });
  }
  $("show-controls").addEventListener("submit", function (event) {
    event.preventDefault();
    if ($("show-id").value) act("start", { show: $("show-id").value });
  });
  $("show-pause").addEventListener("click", function () { act("pause"); });
  $("show-resume").addEventListener("click", function () { act("resume"); });
  $("show-fire").addEventListener("click", function () { act("fire", {}); });
  $("show-skip").addEventListener("click", function () {
    var next = $("show-timeline").querySelector(".state-pending");
    if (next) act("skip", { cue: next.getAttribute("data-key") });
  });

  // Alerts (告警): the latest alerts with their delivery state.
  function alerts() {
    getJSON("/api/alerts/" + encodeURIComponent(cfg.room)).then(function (body) {
      if (!body) return;
      var list = LR.clear($("alerts"));
      body.alerts.forEach(function (a) {
        list.appendChild(el("li", { className: "alert severity-" + a.severity + (a.sent ? " sent" : "") },
          el("time", { text: roomTime(a.created_at) }), " ",
          el("span", { className: "alert-text", text: a.text })));
      });
      $("no-alerts").hidden = body.alerts.length > 0;
    }).catch(function () {});
  }

  function poll() { rulebook(); health(); timeline(); alerts(); }
  poll();
  setInterval(poll, 5000);
})();
