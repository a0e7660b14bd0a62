/* The studio (中控台): one-tap buttons from the rulebook (上N号链接, each coupon, the shows' votes, 福袋 and
   flash sales), the waiting queue with the bot's proposals, live chat, live numbers, the run of show. */
(function () {
  "use strict";
  var LR = window.LR, T = LR.T, el = LR.el, cfg = LR.config, fmt = LR.fmt;
  var $ = function (id) { return document.getElementById(id); };
  var chat = $("chat");
  var openVote = null, openLottery = null, pinned = null, live = false;
  var pushed = {};
  var stockLeft = {};
  var path = "/ws/" + encodeURIComponent(cfg.room) + "?role=team&csrf=" + encodeURIComponent(cfg.csrf);
  var room = LR.connect(path, handle, LR.connState($("conn-state")));

  function controls(li, m) {
    if (m.role !== "viewer") return;
    var box = el("span", { className: "msg-controls" });
    box.appendChild(el("button", { type: "button", className: "small delete", text: T.delete, "aria-label": T.delete + " · " + m.nickname,
      onclick: function () { room.send({ type: "delete_message", message_id: m.id }); } }));
    if (m.viewer_id) {
      box.appendChild(el("button", { type: "button", className: "small mute", text: T.mute, "aria-label": T.mute + " · " + m.nickname,
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
        pinned = m.snapshot.pinned && m.snapshot.pinned.product ? m.snapshot.pinned.product.sku : null;
        pushed = {};
        stockLeft = m.snapshot.stock_left || {};
        (m.snapshot.coupons || []).forEach(function (c) { pushed[c.coupon_id] = true; });
        samples = (m.snapshot.online_history || []).map(function (s) { return s[1]; }).slice(-150);
        if (m.snapshot.stats) numbers(m.snapshot.stats);
        spark();
        renderButtons();
        return refreshQueue();
      case "chat": return LR.appendChat(chat, m, controls, 500);
      case "chat_deleted": LR.removeChat(chat, m.message_id); return removeQuestion(m.message_id);
      case "question": return addQuestion(m);
      case "question_answered": case "question_dismissed": return removeQuestion(m.message_id);
      case "stats": return numbers(m);
      case "vote_open": openVote = m.vote_id; renderButtons(); return status(T.open_vote + " · " + m.question);
      case "vote_close": openVote = null; renderButtons(); return status(T.close_vote + " · " + (m.winner_text || "—"));
      case "lottery_open": openLottery = m.lottery_id; renderButtons(); return status(T.open_lottery + " · " + m.prize);
      case "lottery_result": openLottery = null; renderButtons();
        return status(T.draw_lottery + " · " + m.winners.map(function (w) { return w.nickname; }).join("、"));
      case "pin_product": pinned = m.product ? m.product.sku : null; renderButtons();
        return status(m.product ? T.pin + " · " + m.product.name : T.unpin);
      case "product_stock": stockLeft[m.sku] = m.left; return renderButtons();
      case "product_sold_out": stockLeft[m.sku] = 0; renderButtons(); return status(T.product_sold_out + " · " + productName(m.sku));
      case "coupon": pushed[m.coupon_id] = true; renderButtons(); return status(T.push_coupon + " · " + m.title);
      case "countdown": return status(T.countdown + " · " + m.title);
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

  function num(v) { return String(Math.round(Number(v) * 100) / 100); }
  function price(v) { return v === null || v === undefined ? "" : "¥" + num(v); }

  // ---- live numbers and the online sparkline

  var samples = [], lastSample = 0;
  function numbers(s) {
    ["online", "peak", "likes", "clicks", "claims", "orders"].forEach(function (k) {
      if (s[k] !== undefined && s[k] !== null) $("n-" + k).textContent = s[k];
    });
    if (s.gmv !== undefined && s.gmv !== null) $("n-gmv").textContent = price(s.gmv);
    var now = Date.now();
    if (now - lastSample >= 10000) {  // the hub samples every 10 s too
      lastSample = now;
      samples.push(s.online);
      if (samples.length > 150) samples.shift();
      spark();
    }
  }
  function spark() {
    var max = Math.max.apply(null, samples.concat([1]));
    var n = samples.length, pts = samples.map(function (v, i) {
      var x = n === 1 ? 300 : (300 * i) / (n - 1);
      return x.toFixed(1) + "," + (56 - (52 * v) / max).toFixed(1);
    });
    $("sparkline").querySelector("polyline").setAttribute("points", pts.join(" "));
  }

  // ---- one-tap buttons from the rulebook

  function row(button, detail, extra) {
    return el("li", null, button, detail ? el("span", { className: "detail", text: detail }) : null, extra || null);
  }

  function couponTerms(c) {
    return c.min_spend > 0 ? fmt(T.coupon_min, { min: num(c.min_spend), d: num(c.discount) }) : fmt(T.coupon_free, { d: num(c.discount) });
  }

  function lotteryDetail(l) {
    var parts = [fmt(T.winners_n, { n: l.winners }), l.keyword ? fmt(T.keyword_is, { k: l.keyword }) : T.by_button,
      fmt(T.lasts, { d: LR.clock(l.window_s) })];
    var e = l.eligibility || {};
    if (e.min_watch_seconds) parts.push(fmt(T.watch_n, { d: LR.clock(e.min_watch_seconds) }));
    if (e.present) parts.push(T.present);
    (e.require || []).forEach(function (r) { parts.push(T["req_" + r] || r); });
    return parts.join(" · ");
  }

  function renderButtons() {
    var list = LR.clear($("product-buttons"));
    cfg.products.forEach(function (p) {
      var on = pinned === p.sku;
      list.appendChild(el("li", { className: on ? "on" : "" },
        el("button", { type: "button", className: "pin-product", "data-sku": p.sku, text: fmt(T.pin_n, { n: p.no }),
          onclick: function () { room.send({ type: "pin_product", sku: p.sku }); } }),
        el("span", { className: "detail" }, el("b", { text: p.name }), " " + price(p.live_price !== null && p.live_price !== undefined ? p.live_price : p.price) +
          (p.stock !== null && p.stock !== undefined ? " · " + fmt(T.stock_n, { n: stockLeft[p.sku] !== undefined ? stockLeft[p.sku] : p.stock }) : "")),
        on ? el("span", { className: "tag", text: T.explaining }) : null));
    });
    $("unpin-button").disabled = !pinned;

    list = LR.clear($("coupon-buttons"));
    cfg.coupons.forEach(function (c) {
      var detail = couponTerms(c) + (c.quantity ? " · " + fmt(T.coupon_qty, { n: c.quantity }) : "") +
        (c.valid_minutes ? " · " + fmt(T.coupon_valid, { n: c.valid_minutes }) : "");
      list.appendChild(row(el("button", { type: "button", className: "push-coupon", "data-coupon": c.id, text: fmt(T.push_named, { title: c.title }),
        onclick: function () { pushCoupon(c); } }), detail, pushed[c.id] ? el("span", { className: "tag ok", text: T.pushed }) : null));
    });

    list = LR.clear($("vote-buttons"));
    cfg.votes.forEach(function (v) {
      list.appendChild(row(el("button", { type: "button", className: "open-vote", "data-vote": v.id, text: fmt(T.vote_named, { question: v.question }),
        onclick: function () {
          room.send({ type: "open_vote", vote_id: v.id, question: v.question, options: v.options, duration_s: v.duration_s, allow_change: v.allow_change });
        } }), v.options.join(" / ") + " · " + fmt(T.lasts, { d: LR.clock(v.duration_s) }),
        openVote === v.id ? el("span", { className: "tag ok", text: T.open_now }) : null));
    });
    list = LR.clear($("lottery-buttons"));
    cfg.lotteries.forEach(function (l) {
      list.appendChild(row(el("button", { type: "button", className: "open-lottery", "data-lottery": l.id, text: fmt(T.lottery_named, { prize: l.prize }),
        onclick: function () {
          room.send({ type: "open_lottery", lottery_id: l.id, prize: l.prize, winners: l.winners, keyword: l.keyword,
            window_s: l.window_s, eligibility: l.eligibility, prize_value: l.prize_value });
        } }), lotteryDetail(l), openLottery === l.id ? el("span", { className: "tag ok", text: T.open_now }) : null));
    });
    $("close-vote-button").disabled = !openVote;
    $("draw-button").disabled = !openLottery;

    list = LR.clear($("flash-buttons"));
    cfg.flash_sales.forEach(function (f) {
      list.appendChild(row(el("button", { type: "button", className: "flash-sale", text: fmt(T.flash_named, { title: f.title }),
        onclick: function () { room.send({ type: "start_countdown", title: f.title, duration_s: f.duration_s, sku: f.sku, stock: f.stock }); } }),
        LR.clock(f.duration_s) + (f.sku ? " · " + productName(f.sku) : "") + (f.stock !== null && f.stock !== undefined ? " · " + fmt(T.stock_n, { n: f.stock }) : "")));
    });
    list.appendChild(row(el("button", { type: "button", className: "flash-sale", disabled: !pinned, text: T.flash_pinned,
      onclick: function () { if (pinned) room.send({ type: "start_countdown", title: T.flash + " · " + productName(pinned), duration_s: 60, sku: pinned }); } }),
      pinned ? productName(pinned) : ""));
  }

  function pushCoupon(c) {
    var coupon = { id: c.id, title: c.title, link: c.link, discount: num(c.discount) };
    if (c.quantity) coupon.quantity = c.quantity;
    if (c.valid_minutes) coupon.valid_minutes = c.valid_minutes;
    room.send({ type: "push_coupon", coupon: coupon });
  }

  $("unpin-button").addEventListener("click", function () { room.send({ type: "pin_product", sku: null }); });
  $("close-vote-button").addEventListener("click", function () { if (openVote) room.send({ type: "close_vote", vote_id: openVote }); });
  $("draw-button").addEventListener("click", function () { if (openLottery) room.send({ type: "draw_lottery", lottery_id: openLottery }); });

  // ---- the waiting queue: wait time, the bot's proposal, send / edit / dismiss / 加入FAQ

  function questionStatus(text, bad) {
    var node = $("question-status");
    node.textContent = text;
    node.className = "notice" + (bad ? " bad" : "");
    clearTimeout(questionStatus.timer);
    questionStatus.timer = setTimeout(function () { node.textContent = ""; }, 10000);
  }

  function addQuestion(q) {
    var old = document.getElementById("q-" + q.message_id);  // the same question again, now with a proposal
    var typed = old ? old.querySelector(".answer-input").value : "";
    var label = fmt(T.answer_to, { nick: q.nickname });
    var input = el("input", { maxlength: 500, className: "answer-input", "aria-label": label, placeholder: label });
    input.value = typed;  // what the team had begun typing stays
    var p = q.proposal;
    var form = el("form", { className: "answer-form", onsubmit: function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      var message = { type: "answer_question", message_id: q.message_id, text: text };
      if (p && p.faq_id) message.faq_id = p.faq_id;
      room.send(message);
      input.value = "";
    } }, input, el("button", { type: "submit", className: "answer-send", text: T.answer }));
    var li = el("li", { id: "q-" + q.message_id, className: "question" + (p ? " has-proposal" : ""), "data-ts": q.ts },
      el("p", { className: "q-head" }, el("span", { className: "nick", text: q.nickname }),
        el("span", { className: "wait", "data-since": q.ts })),
      el("p", { className: "q-text text", text: q.text }));
    if (p) {
      li.appendChild(el("div", { className: "proposal" },
        el("p", { className: "proposal-head" }, el("b", { text: T.proposal }), " ",
          el("span", { className: "muted", text: fmt(T.proposal_from, { id: p.faq_id, score: p.score !== null && p.score !== undefined ? Math.round(p.score * 100) + "%" : "—" }) })),
        el("p", { className: "proposal-text", text: p.text }),
        el("div", { className: "row" },
          el("button", { type: "button", className: "send-proposal", text: T.send_proposal,
            onclick: function () { room.send({ type: "answer_question", message_id: q.message_id, text: p.text, faq_id: p.faq_id }); } }),
          el("button", { type: "button", className: "secondary edit-proposal", text: T.edit,
            onclick: function () { input.value = p.text; input.focus(); } }))));
    }
    li.appendChild(form);
    li.appendChild(el("div", { className: "row q-actions" },
      el("button", { type: "button", className: "secondary dismiss", text: T.dismiss, "aria-label": T.dismiss + " · " + q.nickname,
        onclick: function () { room.send({ type: "dismiss_question", message_id: q.message_id }); } }),
      el("button", { type: "button", className: "secondary learn", text: T.learn, "aria-label": T.learn + " · " + q.nickname,
        onclick: function () { learn(q, input.value.trim()); } })));
    if (old) old.replaceWith(li); else $("questions").appendChild(li);
    refreshQueue();
  }

  // 加入FAQ: the question becomes an example of the proposed entry, or a new entry with the answer typed.
  function learn(q, typed) {
    var body;
    if (typed) body = { message_id: q.message_id, new: { answer: typed } };
    else if (q.proposal && q.proposal.faq_id) body = { message_id: q.message_id, faq_id: q.proposal.faq_id };
    else return questionStatus(T.learn_needs_text, true);
    fetch("/api/faq/" + encodeURIComponent(cfg.room) + "/learn", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": cfg.csrf }, body: JSON.stringify(body)
    }).then(function (r) {
      if (r.status === 404 || r.status === 405) return questionStatus(T.learn_missing, true);
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) return questionStatus(j.message || j.error || String(r.status), true);
        questionStatus(fmt(T.learned, { file: j.file || j.faq_id || "faq.yaml" }));
      });
    }).catch(function (e) { questionStatus(String(e), true); });
  }

  function removeQuestion(id) {
    var node = document.getElementById("q-" + id);
    if (node) node.remove();
    refreshQueue();
  }

  function refreshQueue() {
    var n = $("questions").children.length;
    $("no-questions").hidden = n > 0;
    $("q-count").textContent = n ? String(n) : "";
  }

  setInterval(function () {
    var now = Date.now() / 1000;
    document.querySelectorAll("[data-since]").forEach(function (node) {
      node.textContent = fmt(T.waited, { t: LR.clock(now - Number(node.getAttribute("data-since"))) });
    });
  }, 1000);

  // ---- the free-form forms behind the fold

  function value(id) { return $(id).value.trim(); }
  function number(id) { var v = $(id).value; return v === "" ? null : Number(v); }

  var pin = $("pin-sku");
  cfg.products.forEach(function (p) { pin.appendChild(el("option", { value: p.sku, text: fmt(T.pin_n, { n: p.no }) + " · " + p.name })); });

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
  $("lottery-form").addEventListener("submit", function (event) {
    event.preventDefault();
    room.send({ type: "open_lottery", lottery_id: value("lottery-id"), prize: value("lottery-prize"),
      winners: number("lottery-winners") || 1, keyword: value("lottery-keyword") || null,
      window_s: number("lottery-seconds") || 120, eligibility: { min_watch_seconds: number("lottery-watch") || 0 } });
  });
  $("countdown-form").addEventListener("submit", function (event) {
    event.preventDefault();
    room.send({ type: "start_countdown", title: value("countdown-title"), duration_s: number("countdown-seconds") || 60 });
  });

  // ---- the FAQ bot's switch

  function botState(paused) {
    var sw = $("bot-switch");
    sw.checked = paused === false;
    sw.indeterminate = paused === null;
    $("bot-state").textContent = paused === null ? T.bot_unknown : paused ? T.bot_off : T.bot_on;
    sw.closest(".switch").classList.toggle("on", paused === false);
  }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; });
  }
  getJSON("/api/faq/" + encodeURIComponent(cfg.room)).then(function (s) { botState(s ? !!s.paused : null); }).catch(function () { botState(null); });
  $("bot-switch").addEventListener("change", function (event) {
    var on = event.target.checked;
    fetch("/api/faq/" + encodeURIComponent(cfg.room) + "/" + (on ? "resume" : "pause"), {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json", "X-CSRF-Token": cfg.csrf }, body: "{}"
    }).then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); }).then(function (res) {
      if (!res.ok) { status(res.body.message || res.body.error, true); return botState(!on); }
      botState(!!res.body.paused);
    }).catch(function (e) { status(String(e), true); botState(!on); });
  });

  // ---- the rulebook, stream health, run of show, alerts (polled)

  var shows = [];
  function rulebook() {
    getJSON("/api/rulebook").then(function (book) {
      var list = LR.clear($("rulebook-errors"));
      if (!book) return;
      if (!book.errors.length) list.appendChild(el("li", { className: "ok", text: T.rulebook_ok + " · #" + book.generation }));
      book.errors.forEach(function (e) { list.appendChild(el("li", { className: "bad", text: e })); });
      setShows(book.shows || []);
    }).catch(function () {});
  }

  function fmtNum(v, digits) { return v === null || v === undefined ? "—" : (typeof v === "number" ? v.toFixed(digits || 0) : String(v)); }
  function health() {
    getJSON("/api/media/" + encodeURIComponent(cfg.room) + "/health").then(function (h) {
      if (!h) return;
      live = !!h.live;
      var state = $("stream-state");
      state.textContent = h.live ? T.live : T.offline;
      state.className = "stream-state " + (h.live ? "ok" : "muted");
      var pill = $("live-state");
      pill.textContent = h.live ? T.live : T.offline;
      pill.className = "live-pill " + (h.live ? "on" : "off");
      var grid = LR.clear($("stream-numbers"));
      function cell(label, v) { grid.appendChild(el("div", null, el("dt", { text: label }), el("dd", { text: v }))); }
      cell(T.viewers_media, fmtNum(h.viewers));
      var pb = h.playback;
      if (pb) {  // how the viewers watch: WebRTC here, an SFU's WebRTC, HLS (and how many fell back to it)
        cell(T.watch_paths, T.path_whep + " " + pb.whep + " · " + T.path_sfu + " " + pb.sfu + " · " + T.path_hls + " " + pb.hls +
          (pb.fallback ? " (" + T.path_fallback + " " + pb.fallback + ")" : ""));
      }
      ["host", "guest"].forEach(function (slot) {
        var s = h[slot];
        if (!s) return;
        var prefix = slot === "guest" ? T.guest + " · " : "";
        cell(prefix + T.bitrate, fmtNum(s.bitrate_kbps));
        cell(prefix + T.fps, fmtNum(s.fps, 1));
        cell(prefix + T.loss, s.packet_loss === null || s.packet_loss === undefined ? "—" : (s.packet_loss * 100).toFixed(1) + "%");
        cell(prefix + T.resolution, s.width ? s.width + "×" + s.height : "—");
      });
    }).catch(function () {});
  }

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
  function roomTime(at) {
    try { return new Date(at).toLocaleTimeString(cfg.language === "en" ? "en-GB" : "zh-CN", { timeZone: cfg.timezone, hour12: false }); }
    catch (e) { return new Date(at).toLocaleTimeString(); }
  }
  // The run of show in words: each segment as a heading, each cue's time, what it says or does, its state.
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
    $("show-next").textContent = show.next ? clock(show.next.offset) + " " + (show.next.text || "") : T.no_cue;
    var segments = show.segments || [], seen = {};
    var running = show.status === "running" || show.status === "paused";
    show.cues.forEach(function (c) {
      var seg = segments.filter(function (s) { return s.id === c.segment; })[0];
      if (seg && !seen[seg.id]) {
        seen[seg.id] = true;
        list.appendChild(el("li", { className: "segment-head" }, el("span", { className: "cue-at", text: clock(seg.start) }),
          el("b", { text: fmt(T.timeline_segment, { kind: seg.kind, title: seg.title || seg.id }) })));
      }
      var isNext = show.next && show.next.key === c.key;
      var li = el("li", { className: "cue state-" + c.state + (isNext ? " is-next" : ""), "data-key": c.key },
        el("span", { className: "cue-at", text: clock(c.offset) }),
        el("span", { className: "cue-label", text: c.text || c.action }),
        el("span", { className: "cue-state", text: isNext ? T.state_next : (T["state_" + c.state] || c.state) }));
      if (c.state === "pending" && running && c.action !== "end") {
        li.appendChild(el("button", { type: "button", className: "small", text: T.show_fire, "aria-label": T.show_fire + " · " + clock(c.offset),
          onclick: function () { act("fire", { cue: c.key }); } }));
        li.appendChild(el("button", { type: "button", className: "small", text: T.show_skip, "aria-label": T.show_skip + " · " + clock(c.offset),
          onclick: function () { act("skip", { cue: c.key }); } }));
      }
      list.appendChild(li);
    });
    buttons(show.status);
    var next = list.querySelector(".is-next");
    if (next && !renderShow.scrolled) { renderShow.scrolled = true; next.scrollIntoView({ block: "nearest" }); }
  }
  function buttons(state) {
    var running = state === "running" || state === "paused";
    $("show-start").disabled = running;
    $("show-pause").disabled = state !== "running";
    $("show-resume").disabled = state !== "paused";
    $("show-skip").disabled = !running;
    $("show-fire").disabled = !running;
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

  renderButtons();
  function poll() { rulebook(); health(); timeline(); alerts(); }
  poll();
  setInterval(poll, 5000);
})();
