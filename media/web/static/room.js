/* The viewer's phone live room: chat over the video, likes (double-tap), the 小黄车 sheet with every product,
   buying in a sheet that keeps the video playing, the pinned product, coupons, 福袋, votes, flash sales. */
(function () {
  "use strict";
  var LR = window.LR, T = LR.T, el = LR.el, cfg = LR.config, fmt = LR.fmt, icon = LR.icon;
  var $ = function (id) { return document.getElementById(id); };
  var me = { viewer_id: null, muted: false };
  var chat = $("chat");
  var products = cfg.products || [];
  var couponRules = cfg.coupons || {};
  var coupons = {};
  var soldOut = {};
  var stockLeft = {};  // units left in this run, once the shop has reported orders
  var product = null;  // the pinned card, kept to mark it sold out when the stock is reached
  var vote = null, voteClosed = null, lottery = null, lastDraw = null, countdown = null, lastLikes = null;

  var room = LR.connect("/ws/" + encodeURIComponent(cfg.room), handle, LR.connState($("conn-state")));

  function handle(m) {
    switch (m.type) {
      case "welcome": return welcome(m);
      case "chat": return LR.appendChat(chat, m);
      case "chat_deleted": return LR.removeChat(chat, m.message_id);
      case "pin_product": product = m.product; return showProduct();
      case "product_sold_out":
        soldOut[m.sku] = true;
        if (product && product.sku === m.sku) product.sold_out = true;
        return showProduct();
      case "product_stock": stockLeft[m.sku] = m.left; return showProduct();
      case "coupon": return showCoupon(m, true);
      case "coupon_stock": return couponStock(m);
      case "coupon_claim": return couponClaimed(m);
      case "vote_open": vote = m; voteClosed = null; fresh("vote-bubble"); return showVote();
      case "vote_update": if (vote && vote.vote_id === m.vote_id) { vote.tallies = m.tallies; showVote(); } return;
      case "vote_ack": if (vote && m.ok) { vote.my_option = m.option; showVote(); } else if (!m.ok) notice(T[m.reason] || m.reason); return;
      case "vote_close": return closeVote(m);
      case "lottery_open": lottery = m; lastDraw = null; fresh("lottery-bubble"); return showLottery();
      case "lottery_update": if (lottery && lottery.lottery_id === m.lottery_id) { lottery.entrants = m.entrants; showLottery(); } return;
      case "lottery_entered":
        if (lottery && (m.ok || m.reason === "already_entered")) { lottery.entered = true; showLottery(); }
        else if (m.reason === "no_token" || m.reason === "limit") notice(T[m.reason]);
        return;
      case "lottery_result": lottery = null; lastDraw = m; lastDraw.shown_at = Date.now(); fresh("lottery-bubble"); return showLottery();
      case "countdown": countdown = m; fresh("countdown-card"); return showCountdown();
      case "gift": return showGift(m);
      case "stats": return stats(m);
      case "notice": return notice(m.text);
      case "error": return notice(m.message);
    }
  }

  function welcome(m) {
    if (watching) room.send(watching);  // a new socket after a reconnect: say again how we watch
    me.viewer_id = m.viewer_id;
    me.muted = m.muted;
    LR.clear(chat);
    m.snapshot.messages.forEach(function (line) { LR.appendChat(chat, line); });
    soldOut = {};
    (m.snapshot.sold_out || []).forEach(function (sku) { soldOut[sku] = true; });
    stockLeft = m.snapshot.stock_left || {};
    product = m.snapshot.pinned ? m.snapshot.pinned.product : null;
    showProduct();
    coupons = {};
    LR.clear($("coupon-cards"));
    m.snapshot.coupons.forEach(function (c) { showCoupon(c, false); });
    couponBubble();
    vote = m.snapshot.vote; voteClosed = null; showVote();
    lottery = m.snapshot.lottery;
    lastDraw = lottery ? null : m.snapshot.last_draw;
    if (lastDraw) lastDraw.shown_at = Date.now();
    showLottery();
    countdown = m.snapshot.countdown; showCountdown();
    if (m.snapshot.stats) stats(m.snapshot.stats);
    var gifts = LR.clear($("gifts"));
    m.gifts.forEach(function (g) {
      gifts.appendChild(el("button", { type: "button", className: "gift", "data-gift": g.id,
        onclick: function () { room.send({ type: "gift", gift_id: g.id }); closeSheets(); } }, icon("gift"), " " + g.name));
    });
  }

  // ---- little helpers

  function notice(text) {
    if (!text) return;
    var node = $("notice");
    node.textContent = text;
    clearTimeout(notice.timer);
    notice.timer = setTimeout(function () { node.textContent = ""; }, 3500);
  }

  function fresh(id) {
    var node = $(id);
    node.classList.remove("fresh");
    void node.offsetWidth;  // restart the animation
    node.classList.add("fresh");
  }

  function price(v) { return v === null || v === undefined ? "" : "¥" + num(v); }
  function num(v) { return String(Math.round(Number(v) * 100) / 100); }
  function big(n) { return n >= 10000 ? num(n / 10000) + (cfg.language === "en" ? "w" : "万") : String(n); }
  function left(p) { return stockLeft[p.sku] !== undefined ? stockLeft[p.sku] : p.stock; }
  function known(sku) { return products.filter(function (p) { return p.sku === sku; })[0] || null; }

  function stats(s) {
    $("stats").textContent = big(s.online) + " " + T.watching + " · " + big(s.likes) + " " + T.likes;
    if (lastLikes !== null && s.likes > lastLikes) for (var i = 0; i < Math.min(4, s.likes - lastLikes); i++) heart();
    lastLikes = s.likes;
  }

  function heart(x, y, isBig) {
    var phone = $("phone").getBoundingClientRect();
    var like = $("like").getBoundingClientRect();
    var h = icon("heart", "heart" + (isBig ? " big" : ""));
    var left = x !== undefined ? x - phone.left : like.left - phone.left + like.width / 2 + (Math.random() * 30 - 15);
    var top = y !== undefined ? y - phone.top : like.top - phone.top;
    h.style.left = left + "px";
    h.style.top = top + "px";
    if (!isBig) h.style.animationDuration = (1.2 + Math.random() * .8) + "s";
    $("hearts").appendChild(h);
    setTimeout(function () { h.remove(); }, 2200);
  }

  function showGift(g) {
    var toast = $("gift-toast");
    toast.appendChild(el("div", { className: "gift-line" }, el("b", { text: g.nickname }), " " + T.sent_gift + " " + g.name));
    setTimeout(function () { if (toast.firstChild) toast.removeChild(toast.firstChild); }, 4000);
  }

  function thumb(p, extra) {
    var box = el("div", { className: "thumb" });
    var ph = el("div", { className: "ph" }, icon("bag"), el("span", { text: (p.name || "").slice(0, 6) }));
    if (p.image) {
      var img = el("img", { src: p.image, alt: p.name, loading: "lazy",
        onerror: function () { img.remove(); box.insertBefore(ph, box.firstChild); } });
      box.appendChild(img);
    } else box.appendChild(ph);
    if (extra) box.appendChild(extra);
    return box;
  }

  function prices(p) {
    var node = el("p", { className: "prices" });
    if (p.live_price !== null && p.live_price !== undefined) {
      node.appendChild(el("span", { className: "live-price", text: price(p.live_price) }));
      node.appendChild(el("s", { className: "price", text: price(p.price) }));
    } else node.appendChild(el("span", { className: "live-price", text: price(p.price) }));
    return node;
  }

  // ---- sheets

  var sheets = ["cart-sheet", "buy-sheet", "coupon-sheet", "vote-sheet", "lottery-sheet", "gift-sheet"];
  function openSheet(id) {
    sheets.forEach(function (s) { if (s !== id) $(s).hidden = true; });
    if (id !== "buy-sheet") $("buy-frame").src = "about:blank";
    $(id).hidden = false;
    $("sheet-scrim").hidden = false;
    $("phone").classList.toggle("buying", id === "buy-sheet");  // the picture moves above the shop's page
  }
  function closeSheets() {
    sheets.forEach(function (s) { $(s).hidden = true; });
    $("sheet-scrim").hidden = true;
    $("buy-frame").src = "about:blank";
    $("phone").classList.remove("buying");
  }
  $("sheet-scrim").addEventListener("click", closeSheets);
  document.querySelectorAll(".sheet-close").forEach(function (b) { b.addEventListener("click", closeSheets); });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") closeSheets(); });

  // ---- 小黄车: every product, numbered; the one being explained marked 讲解中

  function renderCart() {
    var list = LR.clear($("cart-list"));
    $("cart-count").textContent = products.length ? String(products.length) : "";
    $("cart-h").textContent = T.cart_title + " · " + products.length;
    products.forEach(function (p) {
      var out = !!soldOut[p.sku] || (product && product.sku === p.sku && product.sold_out);
      var on = product && product.sku === p.sku;
      var info = el("div", { className: "info" },
        el("h3", { className: "name", text: p.name }),
        on ? el("p", { className: "badges" }, el("span", { className: "explaining", text: T.explaining })) : null,
        p.description ? el("p", { className: "desc", text: p.description }) : null,
        el("div", { className: "row" },
          el("div", null, prices(p),
            p.stock !== null && p.stock !== undefined && !out ? el("p", { className: "stock", text: fmt(T.stock_left, { n: left(p) }) }) : null),
          el("button", { type: "button", className: "buy", disabled: out, text: out ? T.product_sold_out : T.buy,
            onclick: function () { openBuy(p); } })));
      list.appendChild(el("li", { className: "cart-item" + (out ? " sold-out" : "") + (on ? " on" : ""), "data-sku": p.sku },
        thumb(p, el("span", { className: "num", text: fmt(T.item_number, { n: p.no }) })), info));
    });
  }
  $("cart-button").addEventListener("click", function () { renderCart(); openSheet("cart-sheet"); });

  // 去购买: the shop's page in a sheet (the video keeps playing above it), and a hand-off when it cannot be framed.
  function openBuy(p) {
    var box = LR.clear($("buy-product"));
    box.appendChild(thumb(p, p.no ? el("span", { className: "num", text: fmt(T.item_number, { n: p.no }) }) : null));
    box.appendChild(el("div", { className: "info" }, el("h3", { text: p.name }), prices(p),
      p.stock !== null && p.stock !== undefined ? el("p", { className: "stock", text: fmt(T.stock_left, { n: left(p) }) }) : null));
    $("buy-open").href = p.link;
    $("buy-frame").src = p.link;
    openSheet("buy-sheet");
  }

  // ---- the product being explained: a small card over the video

  function showProduct() {
    var p = product, card = LR.clear($("product-card"));
    card.hidden = !p;
    renderCart();
    if (!p) return;
    var info = known(p.sku) || {};
    var full = { sku: p.sku, name: p.name, price: p.price, live_price: p.live_price, stock: p.stock, link: p.link,
      image: info.image, no: info.no };
    if (soldOut[p.sku]) p.sold_out = true;
    card.classList.toggle("sold-out", !!p.sold_out);
    card.appendChild(thumb(full, el("span", { className: "explaining", text: T.explaining })));
    var body = el("div", { className: "pin-body" });
    body.appendChild(el("h2", { className: "product-name", text: p.name }));
    body.appendChild(prices(p));
    card.appendChild(body);
    if (p.sold_out) {
      // The configured stock no longer holds, and the shop has nothing left to sell: no link to follow.
      card.appendChild(el("p", { className: "sold-out-badge", text: T.product_sold_out }));
      body.appendChild(el("button", { type: "button", className: "buy", disabled: true, text: T.product_sold_out }));
      return;
    }
    body.appendChild(el("button", { type: "button", className: "buy", text: T.buy, onclick: function () { openBuy(full); } }));
  }

  // ---- coupons: one bubble, a sheet of tickets (满199减50 / 无门槛5元, expiry, stock)

  function couponTerms(c) {
    var rule = couponRules[c.coupon_id];
    var d = rule ? rule.discount : Number(c.discount);
    if (rule && rule.min_spend > 0) return { amount: num(d), terms: fmt(T.coupon_min, { min: num(rule.min_spend), d: num(d) }),
      use: fmt(T.coupon_min_short, { min: num(rule.min_spend) }) };
    if (rule || (c.discount && !isNaN(d))) return { amount: num(d), terms: fmt(T.coupon_free, { d: num(d) }), use: T.coupon_no_min };
    return { amount: null, terms: c.discount || "", use: "" };
  }

  function showCoupon(c, isNew) {
    var previous = coupons[c.coupon_id];
    if (previous && previous.claimed) c.claimed = true;
    coupons[c.coupon_id] = c;
    renderCoupon(c);
    couponBubble();
    if (isNew) fresh("coupon-bubble");
  }

  function couponStock(s) {
    var c = coupons[s.coupon_id];
    if (!c) return;
    c.remaining = s.remaining; c.sold_out = s.sold_out;
    renderCoupon(c);
    couponBubble();
  }

  function couponClaimed(r) {
    var c = coupons[r.coupon_id];
    if (!c) return;
    if (r.ok || r.reason === "already_claimed") c.claimed = true;
    if (r.link) c.link = r.link;
    if (r.reason === "sold_out") c.sold_out = true;
    if (r.remaining !== null && r.remaining !== undefined) c.remaining = r.remaining;
    if (!r.ok) notice(T[r.reason] || r.reason);
    renderCoupon(c);
    couponBubble();
  }

  function expired(c) { return c.expires_at && c.expires_at * 1000 < Date.now(); }

  function renderCoupon(c) {
    var id = "coupon-" + c.coupon_id;
    var card = document.getElementById(id);
    if (!card) { card = el("article", { id: id, className: "coupon-card" }); $("coupon-cards").insertBefore(card, $("coupon-cards").firstChild); }
    LR.clear(card);
    var terms = couponTerms(c);
    card.appendChild(el("div", { className: "amount" },
      terms.amount !== null ? el("b", null, el("small", { text: "¥" }), terms.amount) : el("b", { text: T.coupon }),
      terms.use ? el("span", { text: terms.use }) : null));
    var body = el("div", { className: "body" },
      el("h3", { className: "coupon-title", text: c.title }),
      terms.terms && terms.terms !== c.title ? el("p", { className: "terms discount", text: terms.terms }) : null);
    if (c.expires_at) {
      body.appendChild(el("p", { className: "expiry" }, fmt(T.valid_until, { time: LR.roomTime(c.expires_at) }), " · ",
        el("span", { className: "timer", "data-deadline": c.expires_at, "data-bare": "1" })));
    }
    if (c.remaining !== null && c.remaining !== undefined) body.appendChild(el("p", { className: "remaining", text: fmt(T.coupons_left, { n: c.remaining }) }));
    card.appendChild(body);
    var gone = expired(c);
    var label = c.claimed ? T.claimed : c.sold_out ? T.sold_out : gone ? T.expired : T.claim;
    var actions = el("div", { className: "actions" }, el("button", { type: "button", className: "claim", disabled: c.claimed || c.sold_out || gone, text: label,
      onclick: function () { room.send({ type: "claim_coupon", coupon_id: c.coupon_id }); } }));
    if (c.claimed && c.link) actions.appendChild(el("a", { className: "use-coupon", href: c.link, target: "_blank", rel: "noopener", text: T.use_coupon }));
    card.appendChild(actions);
  }

  function couponBubble() {
    var live = Object.keys(coupons).map(function (k) { return coupons[k]; }).filter(function (c) { return !expired(c); });
    var bubble = $("coupon-bubble");
    bubble.hidden = live.length === 0;
    var best = 0;
    live.forEach(function (c) { if (!c.claimed && !c.sold_out) { var a = Number(couponTerms(c).amount); if (a > best) best = a; } });
    bubble.querySelector(".bubble-value").textContent = best ? "¥" + num(best) : "";
  }
  $("coupon-bubble").addEventListener("click", function () { openSheet("coupon-sheet"); });

  // ---- vote

  function showVote() {
    var card = LR.clear($("vote-card"));
    var bubble = $("vote-bubble");
    if (!vote && voteClosed) {
      card.appendChild(el("p", { className: "vote-result", text: T.vote_closed + (voteClosed.winner_text || "—") }));
      bubble.hidden = false;
      bubble.querySelector(".bubble-timer").removeAttribute("data-deadline");
      bubble.querySelector(".bubble-timer").textContent = T.countdown_over;
      return;
    }
    bubble.hidden = !vote;
    if (!vote) { if (!$("vote-sheet").hidden) closeSheets(); return; }
    bubble.querySelector(".bubble-timer").setAttribute("data-deadline", vote.closes_at);
    card.appendChild(el("h3", { text: vote.question }));
    var total = vote.tallies.reduce(function (a, b) { return a + b; }, 0) || 1;
    var list = el("ol", { className: "options" });
    vote.options.forEach(function (option, i) {
      var pct = Math.round(100 * (vote.tallies[i] || 0) / total);
      var chosen = vote.my_option === i;
      var b = el("button", { type: "button", className: "option" + (chosen ? " chosen" : ""),
        disabled: vote.my_option !== null && vote.my_option !== undefined && !vote.allow_change,
        onclick: function () { room.send({ type: "vote", vote_id: vote.vote_id, option: i }); } },
        el("span", { className: "option-text", text: option }), el("span", { className: "tally", text: (vote.tallies[i] || 0) + " · " + pct + "%" }));
      var bar = el("span", { className: "bar" });
      bar.style.width = pct + "%";
      b.appendChild(bar);
      list.appendChild(el("li", null, b));
    });
    card.appendChild(list);
    card.appendChild(el("p", { className: "timer", "data-deadline": vote.closes_at }));
  }
  $("vote-bubble").addEventListener("click", function () { openSheet("vote-sheet"); });

  function closeVote(m) {
    vote = null;
    voteClosed = m;
    voteClosed.at = Date.now();
    showVote();
  }

  // ---- 福袋: prize, winners, 口令, conditions, countdown; then the winners and the proof

  function conditions(e) {
    var out = [];
    if (e && e.min_watch_seconds) {
      var s = Math.round(e.min_watch_seconds);
      out.push(fmt(T.cond_watch, { d: s >= 60 ? fmt(T.minutes_n, { n: num(s / 60) }) : fmt(T.seconds_n, { n: s }) }));
    }
    if (e && e.present) out.push(T.cond_present);
    ((e && e.require) || []).forEach(function (r) { out.push(T["cond_" + r] || r); });
    return out.length ? out : [T.cond_none];
  }

  function showLottery() {
    var card = LR.clear($("lottery-card"));
    var bubble = $("lottery-bubble"), timer = bubble.querySelector(".bubble-timer");
    bubble.hidden = !lottery && !lastDraw;
    if (lottery) {
      timer.setAttribute("data-deadline", lottery.closes_at);
      card.appendChild(el("div", { className: "prize-box" }, icon("lucky"),
        el("div", null, el("p", { className: "prize", text: lottery.prize }),
          el("p", { className: "winners-n", text: fmt(T.lottery_winners_n, { n: lottery.winners }) }))));
      card.appendChild(el("p", { className: "big-timer" }, T.draw_in + " ", el("span", { "data-deadline": lottery.closes_at, "data-bare": "1" })));
      if (lottery.keyword) {
        card.appendChild(el("p", { className: "keyword" },
          el("span", null, T.keyword_label + "：", el("b", { text: lottery.keyword })),
          el("button", { type: "button", className: "send-keyword", disabled: lottery.entered, text: T.keyword_send,
            onclick: function () { room.send({ type: "chat", text: lottery.keyword }); } })));
      }
      card.appendChild(el("h4", { text: T.conditions }));
      var list = el("ul", { className: "conditions" });
      conditions(lottery.eligibility).forEach(function (c) { list.appendChild(el("li", { text: c })); });
      card.appendChild(list);
      card.appendChild(el("p", { className: "entrants", text: lottery.entrants + " " + T.entrants }));
      card.appendChild(el("button", { type: "button", className: "enter", disabled: lottery.entered,
        text: lottery.entered ? T.entered : T.enter,
        onclick: function () { room.send({ type: "enter_lottery", lottery_id: lottery.lottery_id }); } }));
      card.appendChild(el("details", { className: "proof" }, el("summary", { text: T.proof }),
        el("p", null, T.seed_hash + ": ", el("code", { text: lottery.seed_hash }))));
      return;
    }
    if (!lastDraw) { if (!$("lottery-sheet").hidden) closeSheets(); return; }
    var r = lastDraw;
    timer.removeAttribute("data-deadline");
    timer.textContent = T.results;
    card.appendChild(el("div", { className: "prize-box" }, icon("lucky"),
      el("div", null, el("p", { className: "prize", text: r.prize }), el("p", { className: "winners-n", text: T.winners }))));
    var won = r.winners.some(function (w) { return w.viewer_id === me.viewer_id; });
    if (won) card.appendChild(el("p", { className: "you-won", text: T.you_won }));
    var winners = el("ol", { className: "winners" });
    r.winners.forEach(function (w) { winners.appendChild(el("li", { text: w.nickname })); });
    if (!r.winners.length) winners.appendChild(el("li", { text: T.no_winner }));
    card.appendChild(winners);
    if (r.short_note) card.appendChild(el("p", { className: "short-draw", text: r.short_note }));
    card.appendChild(el("details", { className: "proof" }, el("summary", { text: T.proof }),
      el("p", null, T.seed_hash + ": ", el("code", { text: r.seed_hash })),
      el("p", null, T.seed + ": ", el("code", { text: r.seed })),
      el("p", { text: T.draw_proof + ": " + r.algorithm + " · " + r.eligible + "/" + r.entrants })));
  }
  $("lottery-bubble").addEventListener("click", function () { openSheet("lottery-sheet"); });

  // ---- 限时秒杀: a bubble with its countdown, gone when it is over

  function showCountdown() {
    var bubble = $("countdown-card");
    bubble.hidden = !countdown || countdown.deadline * 1000 < Date.now();
    if (bubble.hidden) return;
    bubble.querySelector(".bubble-label").textContent = countdown.title || T.flash_sale;
    bubble.querySelector(".bubble-timer").setAttribute("data-deadline", countdown.deadline);
  }
  $("countdown-card").addEventListener("click", function () {
    var p = countdown && countdown.sku ? known(countdown.sku) : null;
    if (p) openBuy(p); else { renderCart(); openSheet("cart-sheet"); }
  });

  // One clock for every countdown on the page; what is over goes away.
  function tick() {
    var now = Date.now() / 1000;
    document.querySelectorAll("[data-deadline]").forEach(function (node) {
      var at = Number(node.getAttribute("data-deadline"));
      if (!at) return;
      var left = at - now;
      var bare = node.classList.contains("bubble-timer") || node.hasAttribute("data-bare");
      node.textContent = left > 0 ? (bare ? "" : T.ends_in + " ") + LR.clock(left) : T.countdown_over;
    });
    if (countdown && countdown.deadline < now && !$("countdown-card").hidden) { countdown = null; showCountdown(); }
    if (voteClosed && Date.now() - voteClosed.at > 15000 && !vote) { voteClosed = null; showVote(); }
    if (lastDraw && !lottery && Date.now() - lastDraw.shown_at > 90000 && $("lottery-sheet").hidden) { lastDraw = null; showLottery(); }
    couponBubble();
  }
  setInterval(tick, 250);

  // ---- chat, likes, share, follow

  $("chat-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = $("chat-input");
    var text = input.value.trim();
    if (!text) return;
    room.send({ type: "chat", text: text });
    input.value = "";
  });

  function like(x, y, isBig) { room.send({ type: "like", count: 1 }); heart(x, y, isBig); }
  $("like").addEventListener("click", function () { like(); });

  // Double-tap on the picture likes, with a heart where the finger was.
  var lastTap = null;
  $("phone").addEventListener("click", function (e) {
    if (e.target.closest("button, a, input, form, .sheet, .pin-card, .bubbles, .top, .scrim, .chat")) { lastTap = null; return; }
    var now = Date.now();
    if (lastTap && now - lastTap.t < 350 && Math.abs(e.clientX - lastTap.x) < 40 && Math.abs(e.clientY - lastTap.y) < 40) {
      like(e.clientX, e.clientY, true);
      lastTap = null;
      return;
    }
    lastTap = { t: now, x: e.clientX, y: e.clientY };
  });

  $("share").addEventListener("click", function () {
    var url = location.origin + "/room/" + encodeURIComponent(cfg.room);
    if (navigator.share) { navigator.share({ title: cfg.title, url: url }).catch(function () {}); return; }
    var done = function () { notice(T.link_copied); };
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(url).then(done, function () { notice(url); });
    else notice(url);
  });
  $("gift-button").addEventListener("click", function () { openSheet("gift-sheet"); });

  // Follow (关注): the hub records it once per viewer; the button remembers it on this device.
  var followKey = "liveroom-follow-" + cfg.room;
  var follow = $("follow");
  follow.appendChild(icon("plus"));
  follow.appendChild(document.createTextNode(T.follow));
  follow.setAttribute("aria-label", T.follow);
  function followed() {
    LR.clear(follow);
    follow.appendChild(icon("check"));
    follow.appendChild(document.createTextNode(T.followed));
    follow.setAttribute("aria-label", T.followed);
    follow.disabled = true;
  }
  try { if (window.localStorage.getItem(followKey)) followed(); } catch (e) { /* storage blocked */ }
  follow.addEventListener("click", function () {
    room.send({ type: "follow" });
    try { window.localStorage.setItem(followKey, "1"); } catch (e) { /* storage blocked */ }
    followed();
  });

  // ---- a laptop: the chat beside the phone column instead of over the video

  var wide = window.matchMedia("(min-width: 900px)");
  function placeChat() {
    var side = $("side-chat"), phone = $("phone"), form = $("chat-form");
    if (wide.matches) { side.appendChild(chat); side.appendChild(form); }
    else { phone.insertBefore(chat, $("product-card")); $("bar").insertBefore(form, $("gift-button")); }
    chat.scrollTop = chat.scrollHeight;
  }
  if (wide.addEventListener) wide.addEventListener("change", placeChat); else wide.addListener(placeChat);
  placeChat();

  // ---- the video: vertical fills the screen, landscape sits on a blurred copy of itself

  var video = $("video");
  var backdrop = $("backdrop"), paint = backdrop.getContext("2d");
  function orient() {
    var w = video.videoWidth, h = video.videoHeight;
    $("phone").setAttribute("data-orient", !w || !h ? "none" : h > w * 1.1 ? "portrait" : "landscape");
  }
  video.addEventListener("loadedmetadata", orient);
  video.addEventListener("resize", orient);
  video.addEventListener("playing", function () { $("video-empty").hidden = true; orient(); });
  setInterval(function () {
    if ($("phone").getAttribute("data-orient") !== "landscape" || video.paused || !video.videoWidth) return;
    var vw = video.videoWidth, vh = video.videoHeight, cw = backdrop.width, ch = backdrop.height;
    var sw = Math.min(vw, vh * cw / ch), sh = Math.min(vh, vw * ch / cw);
    try { paint.drawImage(video, (vw - sw) / 2, (vh - sh) / 2, sw, sh, 0, 0, cw, ch); } catch (e) { /* not ready */ }
  }, 400);

  // Which path the video plays over (WebRTC here, an SFU, HLS): the studio counts them.
  var watching = null;
  function attachPlayer() {
    if (window.LiveroomPlayer && typeof window.LiveroomPlayer.attach === "function") {
      try {
        window.LiveroomPlayer.attach(video, cfg.room, { iceServers: cfg.ice, texts: cfg.player_texts, playback: cfg.playback,
          onPath: function (path, fallback) { watching = { type: "playback", path: path, fallback: !!fallback }; room.send(watching); } });
      } catch (e) { if (window.console) console.error(e); }
    }
  }
  renderCart();
  if (document.readyState === "complete") attachPlayer(); else window.addEventListener("load", attachPlayer);
})();
