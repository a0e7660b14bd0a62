/* The viewer page: chat, likes, gifts, product card, coupons, vote, lottery, countdown. */
(function () {
  "use strict";
  var LR = window.LR, T = LR.T, el = LR.el, cfg = LR.config;
  var $ = function (id) { return document.getElementById(id); };
  var me = { viewer_id: null, muted: false };
  var chat = $("chat");
  var coupons = {};
  var product = null;  // the pinned card, kept to mark it sold out when the stock is reached
  var vote = null, lottery = null, countdown = null, lastLikes = null;

  var room = LR.connect("/ws/" + encodeURIComponent(cfg.room), handle, LR.connState($("conn-state")));

  function handle(m) {
    switch (m.type) {
      case "welcome": return welcome(m);
      case "chat": return LR.appendChat(chat, m);
      case "chat_deleted": return LR.removeChat(chat, m.message_id);
      case "pin_product": product = m.product; return showProduct();
      case "product_sold_out": if (product && product.sku === m.sku) { product.sold_out = true; showProduct(); } return;
      case "coupon": return showCoupon(m);
      case "coupon_stock": return couponStock(m);
      case "coupon_claim": return couponClaimed(m);
      case "vote_open": vote = m; return showVote();
      case "vote_update": if (vote && vote.vote_id === m.vote_id) { vote.tallies = m.tallies; showVote(); } return;
      case "vote_ack": if (vote && m.ok) { vote.my_option = m.option; showVote(); } else if (!m.ok) notice(T[m.reason] || m.reason); return;
      case "vote_close": return closeVote(m);
      case "lottery_open": lottery = m; return showLottery();
      case "lottery_update": if (lottery && lottery.lottery_id === m.lottery_id) { lottery.entrants = m.entrants; showLottery(); } return;
      case "lottery_entered":
        if (lottery && (m.ok || m.reason === "already_entered")) { lottery.entered = true; showLottery(); }
        else if (m.reason === "no_token" || m.reason === "limit") notice(T[m.reason]);
        return;
      case "lottery_result": lottery = null; return showResult(m);
      case "countdown": countdown = m; return showCountdown();
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
    product = m.snapshot.pinned ? m.snapshot.pinned.product : null;
    showProduct();
    coupons = {};
    LR.clear($("coupon-cards"));
    m.snapshot.coupons.forEach(showCoupon);
    vote = m.snapshot.vote; showVote();
    lottery = m.snapshot.lottery;
    if (lottery) showLottery(); else if (m.snapshot.last_draw) showResult(m.snapshot.last_draw); else $("lottery-card").hidden = true;
    countdown = m.snapshot.countdown; showCountdown();
    if (m.snapshot.stats) stats(m.snapshot.stats);
    var gifts = LR.clear($("gifts"));
    m.gifts.forEach(function (g) {
      gifts.appendChild(el("button", { type: "button", className: "gift", title: g.name, "data-gift": g.id,
        onclick: function () { room.send({ type: "gift", gift_id: g.id }); } }, g.icon + " " + g.name));
    });
  }

  function notice(text) {
    if (!text) return;
    var node = $("notice");
    node.textContent = text;
    clearTimeout(notice.timer);
    notice.timer = setTimeout(function () { node.textContent = ""; }, 4000);
  }

  function stats(s) {
    $("stats").textContent = s.online + " " + T.online + " · " + s.likes + " " + T.likes;
    if (lastLikes !== null && s.likes > lastLikes) for (var i = 0; i < Math.min(5, s.likes - lastLikes); i++) heart();
    lastLikes = s.likes;
  }

  function heart() {
    var h = el("span", { className: "heart", text: "❤" });
    h.style.left = (10 + Math.random() * 70) + "%";
    h.style.animationDuration = (1.6 + Math.random()) + "s";
    $("hearts").appendChild(h);
    setTimeout(function () { h.remove(); }, 3000);
  }

  function showGift(g) {
    var toast = $("gift-toast");
    toast.appendChild(el("div", { className: "gift-line" }, el("b", { text: g.nickname }), " " + T.sent_gift + " " + g.icon + " " + g.name));
    setTimeout(function () { if (toast.firstChild) toast.removeChild(toast.firstChild); }, 4000);
  }

  function showProduct() {
    var p = product, card = LR.clear($("product-card"));
    card.hidden = !p;
    if (!p) return;
    card.classList.toggle("sold-out", !!p.sold_out);
    card.appendChild(el("h2", { className: "product-name", text: p.name }));
    var prices = el("p", { className: "prices" });
    if (p.live_price !== null && p.live_price !== undefined) {
      prices.appendChild(el("span", { className: "live-price", text: T.live_price + " " + LR.money(p.live_price) }));
      prices.appendChild(el("s", { className: "price", text: LR.money(p.price) }));
    } else prices.appendChild(el("span", { className: "live-price", text: LR.money(p.price) }));
    card.appendChild(prices);
    if (p.sold_out) {
      // The configured stock no longer holds, and the shop has nothing left to sell: no link to follow.
      card.appendChild(el("p", { className: "sold-out-badge", text: T.product_sold_out }));
      card.appendChild(el("button", { type: "button", className: "buy", disabled: true, text: T.buy }));
      return;
    }
    if (p.stock !== null && p.stock !== undefined) card.appendChild(el("p", { className: "stock", text: T.stock + " " + p.stock }));
    card.appendChild(el("a", { className: "buy button", href: p.link, target: "_blank", rel: "noopener", text: T.buy }));
  }

  function showCoupon(c) {
    var previous = coupons[c.coupon_id];
    if (previous && previous.claimed) c.claimed = true;
    coupons[c.coupon_id] = c;
    renderCoupon(c);
  }

  function couponStock(s) {
    var c = coupons[s.coupon_id];
    if (!c) return;
    c.remaining = s.remaining; c.sold_out = s.sold_out;
    renderCoupon(c);
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
  }

  function renderCoupon(c) {
    var id = "coupon-" + c.coupon_id;
    var card = document.getElementById(id);
    if (!card) { card = el("article", { id: id, className: "card coupon-card" }); $("coupon-cards").appendChild(card); }
    LR.clear(card);
    card.appendChild(el("p", { className: "coupon-label", text: T.coupon }));
    card.appendChild(el("h2", { className: "coupon-title", text: c.title }));
    if (c.discount) card.appendChild(el("p", { className: "discount", text: c.discount }));
    if (c.remaining !== null && c.remaining !== undefined) card.appendChild(el("p", { className: "remaining", text: T.remaining + " " + c.remaining }));
    var expired = c.expires_at && c.expires_at * 1000 < Date.now();
    var label = c.claimed ? T.claimed : c.sold_out ? T.sold_out : expired ? T.expired : T.claim;
    var button = el("button", { type: "button", className: "claim", disabled: c.claimed || c.sold_out || expired, text: label,
      onclick: function () { room.send({ type: "claim_coupon", coupon_id: c.coupon_id }); } });
    card.appendChild(button);
    if (c.claimed && c.link) card.appendChild(el("a", { className: "use-coupon", href: c.link, target: "_blank", rel: "noopener", text: T.use_coupon }));
  }

  function showVote() {
    var card = LR.clear($("vote-card"));
    card.hidden = !vote;
    if (!vote) return;
    card.appendChild(el("h2", { text: T.vote + " · " + vote.question }));
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

  function closeVote(m) {
    vote = null;
    var card = LR.clear($("vote-card"));
    card.hidden = false;
    card.appendChild(el("p", { className: "vote-result", text: T.vote_closed + (m.winner_text || "—") }));
    setTimeout(function () { if (!vote) card.hidden = true; }, 15000);
  }

  function showLottery() {
    var card = LR.clear($("lottery-card"));
    card.hidden = !lottery;
    if (!lottery) return;
    card.appendChild(el("h2", { text: T.lottery + " · " + lottery.prize }));
    if (lottery.keyword) card.appendChild(el("p", { className: "keyword" }, T.keyword, el("b", { text: lottery.keyword })));
    card.appendChild(el("p", { className: "entrants", text: lottery.entrants + " " + T.entrants }));
    card.appendChild(el("button", { type: "button", className: "enter", disabled: lottery.entered,
      text: lottery.entered ? T.entered : T.enter,
      onclick: function () { room.send({ type: "enter_lottery", lottery_id: lottery.lottery_id }); } }));
    card.appendChild(el("p", { className: "timer", "data-deadline": lottery.closes_at }));
    card.appendChild(el("p", { className: "proof" }, T.seed_hash + ": ", el("code", { text: lottery.seed_hash })));
  }

  function showResult(r) {
    var card = LR.clear($("lottery-card"));
    card.hidden = false;
    card.appendChild(el("h2", { text: T.winners + " · " + r.prize }));
    var won = r.winners.some(function (w) { return w.viewer_id === me.viewer_id; });
    if (won) card.appendChild(el("p", { className: "you-won", text: T.you_won }));
    var list = el("ol", { className: "winners" });
    r.winners.forEach(function (w) { list.appendChild(el("li", { text: w.nickname })); });
    if (!r.winners.length) list.appendChild(el("li", { text: T.no_winner }));
    card.appendChild(list);
    if (r.short_note) card.appendChild(el("p", { className: "short-draw", text: r.short_note }));
    card.appendChild(el("details", { className: "proof" }, el("summary", { text: T.proof }),
      el("p", null, T.seed_hash + ": ", el("code", { text: r.seed_hash })),
      el("p", null, T.seed + ": ", el("code", { text: r.seed })),
      el("p", { text: r.algorithm + " · " + r.eligible + "/" + r.entrants })));
  }

  function showCountdown() {
    var card = LR.clear($("countdown-card"));
    card.hidden = !countdown || countdown.deadline * 1000 < Date.now();
    if (card.hidden) return;
    card.appendChild(el("h2", { text: countdown.title }));
    card.appendChild(el("p", { className: "timer big", "data-deadline": countdown.deadline }));
    if (countdown.stock !== null && countdown.stock !== undefined) card.appendChild(el("p", { className: "stock", text: T.stock + " " + countdown.stock }));
  }

  setInterval(function () {
    document.querySelectorAll("[data-deadline]").forEach(function (node) {
      var left = Number(node.getAttribute("data-deadline")) - Date.now() / 1000;
      node.textContent = left > 0 ? T.ends_in + " " + LR.clock(left) : T.countdown_over;
    });
  }, 250);

  $("chat-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = $("chat-input");
    var text = input.value.trim();
    if (!text) return;
    room.send({ type: "chat", text: text });
    input.value = "";
  });

  $("like").addEventListener("click", function () { room.send({ type: "like", count: 1 }); heart(); });

  // Follow (关注): the hub records it once per viewer; the button remembers it on this device.
  var followKey = "liveroom-follow-" + cfg.room;
  $("follow").textContent = "＋ " + T.follow;
  function followed() {
    var b = $("follow");
    b.textContent = "✓ " + T.followed;
    b.disabled = true;
  }
  try { if (window.localStorage.getItem(followKey)) followed(); } catch (e) { /* storage blocked */ }
  $("follow").addEventListener("click", function () {
    room.send({ type: "follow" });
    try { window.localStorage.setItem(followKey, "1"); } catch (e) { /* storage blocked */ }
    followed();
  });

  var video = $("video");
  video.addEventListener("playing", function () { $("video-empty").hidden = true; });
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
  if (document.readyState === "complete") attachPlayer(); else window.addEventListener("load", attachPlayer);
})();
