/* The host's teleprompter: the current segment and its talking points, the next line in full with its
   countdown, the product on screen, what viewers see now, the numbers; publisher.js fills #publisher-slot. */
(function () {
  "use strict";
  var LR = window.LR, T = LR.T, el = LR.el, cfg = LR.config, fmt = LR.fmt;
  var $ = function (id) { return document.getElementById(id); };
  var chat = $("chat");
  var state = { pinned: null, coupons: {}, vote: null, lottery: null, countdown: null, questions: {}, soldOut: {}, stockLeft: {} };
  var path = "/ws/" + encodeURIComponent(cfg.room) + "?role=host&csrf=" + encodeURIComponent(cfg.csrf);
  var room = LR.connect(path, handle, LR.connState($("conn-state")));

  function handle(m) {
    switch (m.type) {
      case "welcome":
        LR.clear(chat);
        m.snapshot.messages.forEach(function (l) { LR.appendChat(chat, l); });
        state.pinned = m.snapshot.pinned ? m.snapshot.pinned.product : null;
        state.coupons = {};
        (m.snapshot.coupons || []).forEach(function (c) { state.coupons[c.coupon_id] = c; });
        state.vote = m.snapshot.vote; state.lottery = m.snapshot.lottery; state.countdown = m.snapshot.countdown;
        state.questions = {};
        (m.snapshot.questions || []).forEach(function (q) { state.questions[q.message_id] = true; });
        state.soldOut = {};
        (m.snapshot.sold_out || []).forEach(function (s) { state.soldOut[s] = true; });
        state.stockLeft = m.snapshot.stock_left || {};
        if (m.snapshot.stats) stats(m.snapshot.stats);
        return render();
      case "chat": return LR.appendChat(chat, m);
      case "chat_deleted": LR.removeChat(chat, m.message_id); delete state.questions[m.message_id]; return render();
      case "stats": return stats(m);
      case "pin_product": state.pinned = m.product; return render();
      case "product_sold_out": state.soldOut[m.sku] = true; return render();
      case "product_stock": state.stockLeft[m.sku] = m.left; return render();
      case "coupon": state.coupons[m.coupon_id] = m; return render();
      case "coupon_stock": if (state.coupons[m.coupon_id]) { state.coupons[m.coupon_id].remaining = m.remaining; state.coupons[m.coupon_id].sold_out = m.sold_out; } return render();
      case "vote_open": state.vote = m; return render();
      case "vote_close": state.vote = null; return render();
      case "lottery_open": state.lottery = m; return render();
      case "lottery_result": state.lottery = null; return render();
      case "countdown": state.countdown = m; return render();
      case "question": state.questions[m.message_id] = true; return render();
      case "question_answered": case "question_dismissed": delete state.questions[m.message_id]; return render();
    }
  }

  function stats(s) {
    $("viewers").textContent = s.online;
    $("stats").textContent = s.online + " " + T.online + " · " + s.likes + " " + T.likes;
  }

  function num(v) { return String(Math.round(Number(v) * 100) / 100); }
  function price(v) { return v === null || v === undefined ? "—" : "¥" + num(v); }

  // The product on screen and what the viewers see now (pinned card, coupons, vote, 福袋, flash sale).
  function render() {
    $("waiting").textContent = Object.keys(state.questions).length;
    var box = LR.clear($("product-now-body")), p = state.pinned;
    if (!p) box.appendChild(el("p", { className: "muted", text: T.no_product }));
    else {
      var out = p.sold_out || state.soldOut[p.sku];
      box.appendChild(el("h2", { className: "product-name", text: p.name }));
      box.appendChild(el("dl", { className: "price-grid" },
        el("div", { className: "live" }, el("dt", { text: T.live_price }), el("dd", { text: price(p.live_price !== null && p.live_price !== undefined ? p.live_price : p.price) })),
        el("div", null, el("dt", { text: T.price }), el("dd", { text: price(p.price) })),
        el("div", null, el("dt", { text: T.stock }), el("dd", { text: out ? T.sold_out : state.stockLeft[p.sku] !== undefined ? String(state.stockLeft[p.sku]) : p.stock !== null && p.stock !== undefined ? String(p.stock) : "—" }))));
    }
    var list = LR.clear($("viewers-see")), now = Date.now() / 1000, any = false;
    function item(kind, text, deadline) {
      any = true;
      list.appendChild(el("li", null, el("b", { text: kind }), " " + text + " ",
        deadline ? el("span", { className: "timer", "data-deadline": deadline }) : null));
    }
    if (p) item(T.on_screen, p.name);
    Object.keys(state.coupons).forEach(function (k) {
      var c = state.coupons[k];
      if (c.expires_at && c.expires_at < now) return;
      item(T.coupon, c.title + (c.remaining !== null && c.remaining !== undefined ? " · " + fmt(T.left_n, { n: c.remaining }) : ""), c.expires_at);
    });
    if (state.vote) item(T.vote, state.vote.question, state.vote.closes_at);
    if (state.lottery) item(T.lottery, state.lottery.prize + (state.lottery.keyword ? " · " + T.keyword + " " + state.lottery.keyword : ""), state.lottery.closes_at);
    if (state.countdown && state.countdown.deadline > now) item(T.flash, state.countdown.title, state.countdown.deadline);
    if (!any) list.appendChild(el("li", { className: "muted", text: T.nothing_open }));
    tick();
  }

  // ---- the run of show: the segment now, its talking points, the next line and when it comes

  var show = null, fetchedAt = 0;
  function offsetNow() {
    if (!show || typeof show.now_offset !== "number") return null;
    var running = show.status === "running";
    return show.now_offset + (running ? (Date.now() - fetchedAt) / 1000 * (show.speed || 1) : 0);
  }
  function renderShow() {
    var now = offsetNow();
    var segments = (show && show.segments) || [];
    var current = null;
    if (now !== null && (show.status === "running" || show.status === "paused")) {
      segments.forEach(function (s) { if (s.start <= now + 0.001) current = s; });
    }
    var points = $("talking-points");
    var key = current ? current.id + "\n" + current.talking_points.join("\n") : "";
    var changed = points.getAttribute("data-key") !== key;  // rebuilt only when the segment changes
    if (changed) { LR.clear(points); points.setAttribute("data-key", key); }
    if (!current) {
      $("segment-title").textContent = show && show.title && show.status !== "idle" && show.status !== "ended" ? show.title : T.no_show;
      $("segment-left").textContent = "";
      $("segment-progress").style.width = "0";
    } else {
      $("segment-title").textContent = current.kind + " · " + (current.title || current.id);
      var left = current.start + current.duration - now;
      $("segment-left").textContent = "· " + fmt(T.segment_left, { t: LR.clock(Math.max(0, left) / (show.speed || 1)) });
      $("segment-progress").style.width = Math.min(100, Math.max(0, 100 * (now - current.start) / current.duration)) + "%";
      if (changed && !current.talking_points.length) points.appendChild(el("li", { className: "muted", text: T.no_points }));
      if (changed) current.talking_points.forEach(function (t) { points.appendChild(el("li", { text: t })); });
    }
    var cue = show && show.next;
    $("next-cue-text").textContent = cue ? (cue.text || cue.action) : T.no_cue;
    var wait = cue && now !== null ? (cue.offset - now) / (show.speed || 1) : null;
    $("next-cue-in").textContent = wait === null ? "" : wait > 0 ? fmt(T.in_t, { t: LR.clock(wait) }) : T.cue_now;
    $("next-cue").classList.toggle("soon", wait !== null && wait <= 10);
    $("show-clock").textContent = now === null || !show.run_id ? "—" : LR.clock(now);
  }
  function pollShow() {
    fetch("/api/show/" + encodeURIComponent(cfg.room) + "/next", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body) { show = body; show.run_id = body.status && body.status !== "idle"; fetchedAt = Date.now(); renderShow(); } })
      .catch(function () {});
  }

  // On air: the media server's word, however the host publishes (this page, OBS, ffmpeg).
  var onAir = false;
  function pollLive() {
    fetch("/api/media/" + encodeURIComponent(cfg.room) + "/live", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body) { onAir = !!body.live; pill(); } })
      .catch(function () {});
  }
  function pill() {
    var slot = document.querySelector("#publisher-slot .lr-publisher");
    var live = onAir || (slot && slot.getAttribute("data-state") === "live");
    $("live-state").textContent = live ? T.live : T.offline;
    $("live-state").className = "live-pill " + (live ? "on" : "off");
  }

  function tick() {
    var now = Date.now() / 1000;
    document.querySelectorAll("[data-deadline]").forEach(function (node) {
      var left = Number(node.getAttribute("data-deadline")) - now;
      node.textContent = left > 0 ? LR.clock(left) : "";
    });
  }
  setInterval(function () { tick(); renderShow(); pill(); }, 500);
  pollShow(); pollLive();
  setInterval(pollShow, 2000);
  setInterval(pollLive, 3000);

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
})();
