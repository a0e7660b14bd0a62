/* Shared by the room pages: config, DOM helpers (text only, never HTML), the self-healing socket. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("lr-config").textContent);
  var T = config.texts || {};

  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "text") node.textContent = String(v);
        else if (k === "className") node.className = v;
        else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), v);
        else node.setAttribute(k, v === true ? "" : String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  /* A catalogue text with its {name} slots filled; a slot without a value is left empty, never shown raw. */
  function fmt(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (m, k) { return values && values[k] !== undefined && values[k] !== null ? String(values[k]) : ""; });
  }

  /* An inline SVG icon from the page's sprite (templates include it): no emoji fonts needed. */
  function icon(name, className) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "icon" + (className ? " " + className : ""));
    svg.setAttribute("aria-hidden", "true");
    var use = document.createElementNS(ns, "use");
    use.setAttribute("href", "#i-" + name);
    svg.appendChild(use);
    return svg;
  }

  /* A moment (epoch seconds) as HH:MM on the room's clock (room.yaml timezone). */
  function roomTime(epoch, withSeconds) {
    var opts = { hour: "2-digit", minute: "2-digit", hour12: false };
    if (withSeconds) opts.second = "2-digit";
    if (config.timezone) opts.timeZone = config.timezone;
    try { return new Date(epoch * 1000).toLocaleTimeString(config.language === "en" ? "en-GB" : "zh-CN", opts); }
    catch (e) { return new Date(epoch * 1000).toLocaleTimeString(); }
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

  function money(v) { return v === null || v === undefined ? "" : "¥" + Number(v).toFixed(2); }

  function clock(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
  }

  /* A chat line as DOM; `extra` (optional) appends controls, e.g. the studio's mute/delete. */
  function chatItem(m, extra) {
    var li = el("li", { className: "msg role-" + m.role, "data-id": m.id });
    if (m.role !== "viewer") li.appendChild(el("span", { className: "badge", text: T[m.role] || m.role }));
    li.appendChild(el("span", { className: "nick", text: m.nickname }));
    if (m.quote) li.appendChild(el("q", { className: "quote", text: m.quote }));
    li.appendChild(el("span", { className: "text", text: m.text }));
    if (extra) extra(li, m);
    return li;
  }

  function appendChat(list, m, extra, limit) {
    var stick = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.appendChild(chatItem(m, extra));
    while (list.children.length > (limit || 200)) list.removeChild(list.firstChild);
    if (stick) list.scrollTop = list.scrollHeight;
  }

  function removeChat(list, id) {
    var node = list.querySelector('[data-id="' + Number(id) + '"]');
    if (node) node.parentNode.removeChild(node);
  }

  /* A WebSocket that reconnects by itself (backoff up to 10 s) and hands over every message. */
  function connect(path, onMessage, onState) {
    var socket = null, attempt = 0, queue = [];
    function open() {
      var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
      socket = new WebSocket(url);
      onState && onState("connecting");
      socket.onopen = function () {
        attempt = 0;
        onState && onState("open");
        while (queue.length) socket.send(queue.shift());
      };
      socket.onmessage = function (event) {
        var data;
        try { data = JSON.parse(event.data); } catch (e) { return; }
        (Array.isArray(data) ? data : [data]).forEach(function (m) {
          try { onMessage(m); } catch (e) { if (window.console) console.error(e); }
        });
      };
      socket.onclose = function (event) {
        onState && onState("closed", event.code);
        if (event.code === 1008) return; // closed for abuse: do not hammer the server
        attempt += 1;
        setTimeout(open, Math.min(10000, 300 * Math.pow(2, attempt - 1)) + Math.random() * 300);
      };
    }
    open();
    return {
      send: function (message) {
        var text = JSON.stringify(message);
        if (socket && socket.readyState === 1) socket.send(text);
        else if (queue.length < 20) queue.push(text);
      },
      get socket() { return socket; }
    };
  }

  function connState(node) {
    return function (state) {
      node.textContent = state === "open" ? "" : state === "connecting" ? T.connecting : T.reconnecting;
      node.className = "conn conn-" + state;
      document.body.setAttribute("data-conn", state);
    };
  }

  window.LR = { config: config, T: T, el: el, clear: clear, money: money, clock: clock, chatItem: chatItem, fmt: fmt, icon: icon, roomTime: roomTime,
    appendChat: appendChat, removeChat: removeChat, connect: connect, connState: connState };
})();
