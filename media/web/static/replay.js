/* The replay page: the recording plays; the chat lines and the product card follow its clock.
   A moment in the file is the wall time `recording.started_at + video.currentTime` (a recording starts
   at its first frame); every line with `at` up to that moment is shown, the last pin before it is the card. */
(function () {
  "use strict";
  var cfg = LR.config, T = LR.T, el = LR.el, $ = function (id) { return document.getElementById(id); };
  var video = $("replay-video"), chat = $("replay-chat"), shown = 0, recording = null;
  var local = new Intl.DateTimeFormat(cfg.language === "en" ? "en-GB" : "zh-CN",
    { timeZone: cfg.timezone, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });

  function money(v) { return v === null || v === undefined ? "" : cfg.money + Number(v).toFixed(2); }

  function now() { return recording ? recording.started_at + (video.currentTime || 0) : cfg.started_at; }

  function showChat(at) {
    if (shown > 0 && cfg.chat[shown - 1].at > at) { LR.clear(chat); shown = 0; }  // sought back
    while (shown < cfg.chat.length && cfg.chat[shown].at <= at) {
      var line = cfg.chat[shown++];
      var item = LR.chatItem({ role: line.role, nickname: line.nickname, text: line.text, id: line.message_id });
      item.setAttribute("data-at", line.at);
      chat.appendChild(item);
    }
    while (chat.children.length > 300) chat.removeChild(chat.firstChild);
    chat.scrollTop = chat.scrollHeight;
  }

  function showProduct(at) {
    var sku = null;
    for (var i = 0; i < cfg.pins.length && cfg.pins[i].at <= at; i++) sku = cfg.pins[i].sku;
    var box = LR.clear($("replay-product"));
    var p = sku ? cfg.products[sku] : null;
    box.className = p || sku ? "" : "muted";
    box.setAttribute("data-sku", sku || "");
    if (!sku) { box.textContent = T.no_product; return; }
    box.appendChild(el("p", { className: "product-name", text: (p ? p.name : sku) + " · " + sku }));
    if (p) {
      var prices = el("p", { className: "prices" });
      if (p.live_price !== null && p.live_price !== undefined) {
        prices.appendChild(el("span", { className: "live-price", text: T.live_price + " " + money(p.live_price) }));
        prices.appendChild(document.createTextNode(" "));
        prices.appendChild(el("s", { className: "price", text: money(p.price) }));
      } else prices.appendChild(el("span", { className: "live-price", text: money(p.price) }));
      box.appendChild(prices);
    }
    var orders = cfg.orders.filter(function (o) { return o.sku === sku && o.at <= at; }).length;
    box.appendChild(el("p", { className: "muted", text: T.orders + " " + orders }));
  }

  function tick() {
    var at = now();
    $("replay-show-clock").textContent = LR.clock(at - cfg.started_at);
    $("replay-local").textContent = local.format(new Date(at * 1000));
    showChat(at);
    showProduct(at);
  }

  function choose(index) {
    recording = cfg.recordings[index];
    LR.clear(chat); shown = 0;
    if (recording.url) { video.hidden = false; $("replay-none").hidden = true; video.src = recording.url; }
    else { video.hidden = true; $("replay-none").hidden = false; $("replay-none").textContent = T.missing; }
    Array.prototype.forEach.call($("replay-recordings").children, function (b, i) {
      b.setAttribute("aria-pressed", i === index ? "true" : "false");
    });
    tick();
  }

  if (!cfg.recordings.length) {
    video.hidden = true;
    $("replay-none").hidden = false;
    $("replay-none").textContent = T.no_recording;
  } else {
    if (cfg.recordings.length > 1) {
      cfg.recordings.forEach(function (r, i) {
        $("replay-recordings").appendChild(el("button", { type: "button", className: "small",
          text: T.recording + " " + (i + 1) + " · " + LR.clock(r.started_at - cfg.started_at),
          onclick: function () { choose(i); } }));
      });
    }
    var first = 0;
    while (first < cfg.recordings.length - 1 && !cfg.recordings[first].url) first++;
    choose(first);
  }
  ["timeupdate", "seeked", "loadedmetadata"].forEach(function (e) { video.addEventListener(e, tick); });
  setInterval(function () { if (!video.paused) tick(); }, 250);
  tick();
})();
