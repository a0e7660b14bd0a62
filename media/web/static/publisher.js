/* liveroom WHIP publisher: camera + microphone from the browser to the room.
 *
 *   var pub = LiveroomPublisher.attach(containerEl, roomId, {
 *     token: "…",            // publish token (or a guest invite token); asked for if absent
 *     base: "",              // server origin
 *     maxBitrateKbps: 1000,
 *     preferVideo: "VP8",    // or "H264" (the room packages HLS)
 *     onState: function (state, text) {}   // "idle" | "starting" | "live" | "reconnecting" | "error"
 *   });
 *   pub.start(); pub.stop();
 *
 * Builds its own UI in the container: device pickers, preview, go-live/stop
 * button, status and the bitrate being sent. If the connection drops while live
 * it publishes again by itself.
 */
(function () {
  "use strict";

  var TEXTS = {
    camera: "摄像头", microphone: "麦克风", token: "推流令牌",
    start: "开始直播", stop: "停止直播",
    idle: "未开播", starting: "正在连接…", live: "直播中", reconnecting: "连接中断，正在重连…",
    error: "推流失败：", denied: "无法打开摄像头或麦克风：", busy: "直播间已有主播在推流",
    badToken: "推流令牌不正确", kbps: "kbps"
  };

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text) e.textContent = text;
    return e;
  }

  function waitIceGathering(pc, ms) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise(function (resolve) {
      var done = function () { resolve(); };
      pc.addEventListener("icegatheringstatechange", function () { if (pc.iceGatheringState === "complete") done(); });
      setTimeout(done, ms);
    });
  }

  function Publisher(container, roomId, opts) {
    this.room = roomId;
    this.opts = opts || {};
    this.base = this.opts.base || "";
    this.texts = Object.assign({}, TEXTS, this.opts.texts || {});
    this.maxBitrate = (this.opts.maxBitrateKbps || 1000) * 1000;
    this.stream = null;
    this.pc = null;
    this.location = null;
    this.wantLive = false;
    this.lastBytes = null;
    var t = this.texts, self = this;

    this.root = el("div", { "class": "lr-publisher" });
    this.preview = el("video", { "class": "lr-preview", autoplay: "", muted: "", playsinline: "" });
    this.preview.muted = true;
    var pickers = el("div", { "class": "lr-devices" });
    this.cameraSelect = el("select", { "class": "lr-camera", "aria-label": t.camera });
    this.micSelect = el("select", { "class": "lr-microphone", "aria-label": t.microphone });
    pickers.append(el("label", {}, t.camera), this.cameraSelect, el("label", {}, t.microphone), this.micSelect);
    this.tokenInput = el("input", { "class": "lr-token", type: "password", placeholder: t.token, "aria-label": t.token });
    if (this.opts.token) this.tokenInput.value = this.opts.token; else pickers.append(this.tokenInput);
    this.button = el("button", { type: "button", "class": "lr-golive" }, t.start);
    this.status = el("span", { "class": "lr-status", role: "status" }, t.idle);
    this.bitrate = el("span", { "class": "lr-bitrate" }, "");
    var bar = el("div", { "class": "lr-controls" });
    bar.append(this.button, this.status, this.bitrate);
    this.root.append(this.preview, pickers, bar);
    container.appendChild(this.root);

    this.button.addEventListener("click", function () { if (self.wantLive) self.stop(); else self.start(); });
    this.cameraSelect.addEventListener("change", function () { self.openDevices(); });
    this.micSelect.addEventListener("change", function () { self.openDevices(); });
    window.addEventListener("pagehide", function () { self.hangUp(); });
    this.timer = setInterval(function () { self.measure(); }, 1000);
    this.setState("idle");
    this.openDevices().then(function () { self.listDevices(); });
  }

  Publisher.prototype.setState = function (state, detail) {
    this.state = state;
    var text = (this.texts[state] || "") + (detail || "");
    this.status.textContent = text;
    this.root.dataset.state = state;
    this.button.textContent = this.wantLive ? this.texts.stop : this.texts.start;
    if (this.opts.onState) this.opts.onState(state, text);
  };

  Publisher.prototype.listDevices = async function () {
    var devices = await navigator.mediaDevices.enumerateDevices();
    var fill = function (select, kind) {
      var current = select.value;
      select.textContent = "";
      devices.filter(function (d) { return d.kind === kind; }).forEach(function (d, i) {
        var o = el("option", { value: d.deviceId }, d.label || (kind + " " + (i + 1)));
        select.appendChild(o);
      });
      if (current) select.value = current;
    };
    fill(this.cameraSelect, "videoinput");
    fill(this.micSelect, "audioinput");
  };

  Publisher.prototype.openDevices = async function () {
    var video = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };
    if (this.cameraSelect.value) video.deviceId = { exact: this.cameraSelect.value };
    var audio = this.micSelect.value ? { deviceId: { exact: this.micSelect.value } } : true;
    try {
      var stream = await navigator.mediaDevices.getUserMedia({ video: video, audio: audio });
    } catch (err) {
      this.setState("error", this.texts.denied + err.name);
      return;
    }
    var old = this.stream;
    this.stream = stream;
    this.preview.srcObject = stream;
    this.preview.play().catch(function () {});
    if (this.pc) {
      // Swap devices while live without renegotiating.
      this.pc.getSenders().forEach(function (sender) {
        var track = stream.getTracks().find(function (t) { return sender.track && t.kind === sender.track.kind; });
        if (track) sender.replaceTrack(track);
      });
    }
    if (old) old.getTracks().forEach(function (t) { t.stop(); });
  };

  Publisher.prototype.start = async function () {
    this.wantLive = true;
    await this.publish();
  };

  Publisher.prototype.publish = async function () {
    if (!this.wantLive) return;
    this.setState(this.state === "reconnecting" ? "reconnecting" : "starting");
    if (!this.stream) await this.openDevices();
    if (!this.stream) { this.wantLive = false; this.setState("error", this.texts.denied); return; }
    var self = this;
    // The page's servers are STUN only; TURN (short-lived credentials) comes with a WHIP answer (RFC 9725
    // §4.6): what an earlier answer gave is used from the start of every later attempt.
    var relayed = (this.answerIce || []).length > 0;
    var pc = new RTCPeerConnection({ iceServers: (this.opts.iceServers || []).concat(this.answerIce || []) });
    this.pc = pc;
    this.stream.getTracks().forEach(function (track) {
      var tr = pc.addTransceiver(track, { direction: "sendonly", streams: [self.stream] });
      if (track.kind === "video" && tr.setCodecPreferences && window.RTCRtpSender.getCapabilities) {
        // The relay forwards what it receives: VP8 plays everywhere; H.264 first where the room packages HLS.
        var codecs = RTCRtpSender.getCapabilities("video").codecs;
        var h264First = self.opts.preferVideo === "H264";
        var rank = function (c) {
          if (/VP8/i.test(c.mimeType)) return h264First ? 1 : 0;
          if (/H264/i.test(c.mimeType)) return h264First ? 0 : 1;
          return /rtx/i.test(c.mimeType) ? 2 : 3;
        };
        tr.setCodecPreferences(codecs.filter(function (c) { return rank(c) < 3; }).sort(function (a, b) { return rank(a) - rank(b); }));
      }
    });
    pc.onconnectionstatechange = function () {
      if (pc !== self.pc) return;
      if (pc.connectionState === "connected") self.setState("live");
      if (pc.connectionState === "failed" || pc.connectionState === "disconnected") self.retry();
    };
    try {
      await pc.setLocalDescription(await pc.createOffer());
      await waitIceGathering(pc, 2000);
      var endpoint = new URL(this.base + "/whip/" + encodeURIComponent(this.room), window.location.href);
      var response = await fetch(endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/sdp", "Authorization": "Bearer " + this.tokenInput.value },
        body: pc.localDescription.sdp
      });
      if (response.status === 401) { this.fail(this.texts.badToken); return; }
      if (response.status === 409) { this.fail(this.texts.busy); return; }
      if (response.status !== 201) throw new Error(response.status + " " + (await response.text()));
      this.location = new URL(response.headers.get("Location"), endpoint).toString();
      var turn = turnLinks(response);
      if (turn.length) this.answerIce = turn;
      await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
      if (turn.length && !relayed) {
        // Gathered without TURN: if this attempt does not connect soon, try again through it.
        setTimeout(function () { if (pc === self.pc && pc.connectionState !== "connected") self.retry(); }, 4000);
      }
      pc.getSenders().forEach(function (sender) {
        if (!sender.track || sender.track.kind !== "video") return;
        var params = sender.getParameters();
        if (!params.encodings || !params.encodings.length) params.encodings = [{}];
        params.encodings[0].maxBitrate = self.maxBitrate;
        sender.setParameters(params).catch(function () {});
      });
    } catch (err) {
      this.setState("reconnecting", " " + err.message);
      this.retry();
    }
  };

  /* The TURN servers (with their credentials) in a WHIP answer's `Link: <turn:…>; rel="ice-server"` headers. */
  function turnLinks(response) {
    var header = response.headers.get("Link");
    if (!header) return [];
    var servers = [];
    header.split(/,(?=\s*<)/).forEach(function (part) {
      var m = part.match(/<([^>]+)>/);
      if (!m || part.indexOf('rel="ice-server"') < 0 || !/^turns?:/.test(m[1])) return;
      var u = part.match(/username="([^"]*)"/), c = part.match(/credential="([^"]*)"/);
      if (u && c) servers.push({ urls: m[1], username: u[1], credential: c[1] });
    });
    return servers;
  }

  Publisher.prototype.fail = function (message) {
    this.wantLive = false;
    this.hangUp();
    this.setState("error", message);
  };

  Publisher.prototype.retry = function () {
    if (!this.wantLive || this.retrying) return;
    var self = this;
    this.retrying = true;
    this.hangUp();
    this.setState("reconnecting");
    setTimeout(function () { self.retrying = false; self.publish(); }, 2000);
  };

  Publisher.prototype.hangUp = function () {
    var pc = this.pc;
    this.pc = null;
    this.lastBytes = null;
    if (pc) pc.close();
    if (this.location) {
      fetch(this.location, {
        method: "DELETE", keepalive: true,
        headers: { "Authorization": "Bearer " + this.tokenInput.value }
      }).catch(function () {});
      this.location = null;
    }
  };

  Publisher.prototype.stop = function () {
    this.wantLive = false;
    this.hangUp();
    this.bitrate.textContent = "";
    this.setState("idle");
  };

  Publisher.prototype.measure = async function () {
    if (!this.pc) return;
    var report = await this.pc.getStats(), bytes = 0, now = performance.now();
    report.forEach(function (s) { if (s.type === "outbound-rtp" && s.kind === "video") bytes += s.bytesSent || 0; });
    if (this.lastBytes) {
      var kbps = (bytes - this.lastBytes.bytes) * 8 / (now - this.lastBytes.at);
      this.kbps = Math.max(0, Math.round(kbps));
      this.bitrate.textContent = this.kbps + " " + this.texts.kbps;
    }
    this.lastBytes = { bytes: bytes, at: now };
  };

  window.LiveroomPublisher = {
    attach: function (container, roomId, opts) { return new Publisher(container, roomId, opts); }
  };
})();
