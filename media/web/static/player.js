/* liveroom WHEP player: plays a room's host (and co-host guest) stream in a <video>.
 *
 *   var player = LiveroomPlayer.attach(videoEl, roomId, {
 *     base: "",                      // server origin, default this page's
 *     onState: function (state, text) {},   // "connecting" | "waiting" | "playing" | "reconnecting"
 *     onGuest: function (guestVideoEl) {},  // guest video shown (element) or gone (null)
 *     texts: { waiting: "...", ... }  // override the Chinese defaults
 *   });
 *   player.unmute(); player.stop();
 *
 * Autoplay rules: the video starts muted and an unmute button is shown. The
 * player keeps one WHEP session open while the host is away, and starts a new one
 * by itself when the connection drops, so viewers never need to reload.
 */
(function () {
  "use strict";

  var TEXTS = {
    connecting: "连接中…",
    waiting: "等待主播开播…",
    playing: "",
    reconnecting: "重新连接中…",
    unmute: "🔇 点击开启声音",
    missing: "直播间不存在"
  };

  function waitIceGathering(pc, ms) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise(function (resolve) {
      var done = function () { pc.removeEventListener("icegatheringstatechange", check); resolve(); };
      var check = function () { if (pc.iceGatheringState === "complete") done(); };
      pc.addEventListener("icegatheringstatechange", check);
      setTimeout(done, ms);
    });
  }

  function parseIceLinks(response) {
    var header = response.headers.get("Link");
    if (!header) return [];
    var servers = [];
    header.split(/,(?=\s*<)/).forEach(function (part) {
      var m = part.match(/<([^>]+)>/);
      if (!m || part.indexOf('rel="ice-server"') < 0) return;
      var server = { urls: m[1] };
      var u = part.match(/username="([^"]*)"/), c = part.match(/credential="([^"]*)"/);
      if (u) server.username = u[1];
      if (c) server.credential = c[1];
      servers.push(server);
    });
    return servers;
  }

  function Player(video, roomId, opts) {
    this.video = video;
    this.room = roomId;
    this.opts = opts || {};
    this.base = this.opts.base || "";
    this.texts = Object.assign({}, TEXTS, this.opts.texts || {});
    this.pc = null;
    this.location = null;
    this.stopped = false;
    this.state = null;
    this.guestVideo = null;
    this.hostStream = new MediaStream();
    this.guestStream = new MediaStream();
    this.lastFrames = { host: -1, guest: -1 };
    this.stalled = { host: 0, guest: 0 };
    this.badSince = 0;
    this.retryDelay = 1000;
    this.overlay = document.createElement("div");
    this.overlay.className = "lr-player-state";
    this.unmuteButton = document.createElement("button");
    this.unmuteButton.type = "button";
    this.unmuteButton.className = "lr-unmute";
    this.unmuteButton.textContent = this.texts.unmute;
    this.unmuteButton.addEventListener("click", this.unmute.bind(this));
    if (video.parentNode) {
      video.parentNode.insertBefore(this.overlay, video.nextSibling);
      video.parentNode.insertBefore(this.unmuteButton, this.overlay.nextSibling);
    }
    video.muted = true;
    video.playsInline = true;
    video.autoplay = true;
    // srcObject is set at the first track: an empty MediaStream would hold the page's load event.
    var self = this;
    this.timer = setInterval(function () { self.watch(); }, 1000);
    window.addEventListener("pagehide", function () { self.stop(); });
    this.setState("connecting");
    this.connect();
  }

  Player.prototype.setState = function (state) {
    if (this.state === state) return;
    var v = this.video;
    ["connecting", "waiting", "playing", "reconnecting"].forEach(function (s) { v.classList.remove("lr-" + s); });
    v.classList.add("lr-" + state);
    this.state = state;
    var text = this.texts[state] || "";
    this.overlay.textContent = text;
    this.overlay.hidden = !text;
    v.dataset.state = state;
    if (this.opts.onState) this.opts.onState(state, text);
  };

  Player.prototype.unmute = function () {
    this.video.muted = false;
    if (this.guestVideo) this.guestVideo.muted = false;
    this.unmuteButton.hidden = true;
    this.video.play().catch(function () {});
  };

  Player.prototype.url = function () {
    return this.base + "/whep/" + encodeURIComponent(this.room);
  };

  Player.prototype.connect = async function () {
    if (this.stopped) return;
    var self = this;
    try {
      var iceServers = [];
      try { iceServers = parseIceLinks(await fetch(this.url(), { method: "OPTIONS" })); } catch (e) { /* optional */ }
      var pc = new RTCPeerConnection({ iceServers: iceServers });
      this.pc = pc;
      // host video, host audio, guest video, guest audio: the server maps m-lines to slots in this order
      var slots = ["host", "host", "guest", "guest"];
      ["video", "audio", "video", "audio"].forEach(function (kind) { pc.addTransceiver(kind, { direction: "recvonly" }); });
      pc.ontrack = function (event) {
        var index = pc.getTransceivers().indexOf(event.transceiver);
        var stream = slots[index] === "guest" ? self.guestStream : self.hostStream;
        stream.getTracks().filter(function (t) { return t.kind === event.track.kind; })
          .forEach(function (t) { stream.removeTrack(t); });
        stream.addTrack(event.track);
        if (stream === self.hostStream) {
          if (self.video.srcObject !== self.hostStream) self.video.srcObject = self.hostStream;
          self.video.play().catch(function () {});
        }
      };
      pc.onconnectionstatechange = function () {
        if (pc !== self.pc) return;
        if (pc.connectionState === "failed" || pc.connectionState === "closed") self.reconnect();
      };
      await pc.setLocalDescription(await pc.createOffer());
      await waitIceGathering(pc, 2000);
      var response = await fetch(this.url(), {
        method: "POST",
        headers: { "Content-Type": "application/sdp" },
        body: pc.localDescription.sdp
      });
      if (response.status === 404) {
        this.overlay.textContent = this.texts.missing;
        this.overlay.hidden = false;
        throw new Error("room missing");
      }
      if (response.status !== 201) throw new Error("WHEP " + response.status);
      var location = response.headers.get("Location");
      this.location = location ? new URL(location, new URL(this.url(), window.location.href)).toString() : null;
      await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
      this.retryDelay = 1000;
      this.badSince = 0;
    } catch (err) {
      if (window.console) console.warn("liveroom player: " + err);
      this.scheduleRetry();
    }
  };

  Player.prototype.scheduleRetry = function () {
    if (this.stopped) return;
    var self = this;
    this.teardown();
    this.setState(this.state === "playing" ? "reconnecting" : this.state || "connecting");
    setTimeout(function () { self.connect(); }, this.retryDelay);
    this.retryDelay = Math.min(this.retryDelay * 2, 8000);
  };

  Player.prototype.reconnect = function () {
    if (this.stopped) return;
    this.setState("reconnecting");
    this.scheduleRetry();
  };

  Player.prototype.teardown = function () {
    var pc = this.pc;
    this.pc = null;
    if (pc) pc.close();
    if (this.location) {
      fetch(this.location, { method: "DELETE", keepalive: true }).catch(function () {});
      this.location = null;
    }
  };

  Player.prototype.framesBySlot = async function () {
    var pc = this.pc, counts = { host: -1, guest: -1 };
    if (!pc) return counts;
    var transceivers = pc.getTransceivers();
    var midSlot = {};
    if (transceivers[0] && transceivers[0].mid !== null) midSlot[transceivers[0].mid] = "host";
    if (transceivers[2] && transceivers[2].mid !== null) midSlot[transceivers[2].mid] = "guest";
    var report = await pc.getStats();
    report.forEach(function (s) {
      if (s.type === "inbound-rtp" && s.kind === "video" && midSlot[s.mid] !== undefined) {
        counts[midSlot[s.mid]] = s.framesDecoded || 0;
      }
    });
    return counts;
  };

  Player.prototype.showGuest = function (on) {
    if (on && !this.guestVideo) {
      var g = document.createElement("video");
      g.className = "lr-guest";
      g.autoplay = true;
      g.playsInline = true;
      g.muted = this.video.muted;
      g.srcObject = this.guestStream;
      this.video.parentNode.insertBefore(g, this.video.nextSibling);
      this.video.parentNode.classList.add("lr-with-guest");
      g.play().catch(function () {});
      this.guestVideo = g;
      if (this.opts.onGuest) this.opts.onGuest(g);
    } else if (!on && this.guestVideo) {
      this.guestVideo.remove();
      this.guestVideo = null;
      this.video.parentNode.classList.remove("lr-with-guest");
      if (this.opts.onGuest) this.opts.onGuest(null);
    }
  };

  Player.prototype.watch = async function () {
    if (this.stopped || !this.pc) return;
    var counts = await this.framesBySlot();
    var now = Date.now();
    var hostMoving = counts.host > this.lastFrames.host && this.lastFrames.host >= 0;
    var guestMoving = counts.guest > this.lastFrames.guest && this.lastFrames.guest >= 0;
    this.lastFrames = counts;
    this.showGuest(guestMoving || (this.guestVideo !== null && now - this.stalled.guest < 3000));
    if (guestMoving) this.stalled.guest = now;
    if (hostMoving) {
      this.stalled.host = now;
      this.badSince = 0;
      this.setState("playing");
      if (this.video.paused) this.video.play().catch(function () {});
      return;
    }
    if (this.state === "playing" && now - this.stalled.host < 2000) return;
    // No picture: is the host off air, or is our connection the problem?
    var live = false;
    try {
      var r = await fetch(this.url() + "/status", { cache: "no-store" });
      live = r.ok && (await r.json()).live;
    } catch (e) { live = false; }
    var pcState = this.pc ? this.pc.connectionState : "closed";
    if (!live && pcState === "connected") {
      this.badSince = 0;
      this.setState("waiting");
      return;
    }
    // The host just went live (we were waiting): connecting, not "reconnecting"; that is for a picture lost.
    var lost = this.state === "playing" || this.state === "reconnecting";
    this.setState(live ? (lost ? "reconnecting" : "connecting") : (this.state === "connecting" ? "connecting" : "waiting"));
    if (!this.badSince) this.badSince = now;
    // Live but no frames for a while (or never connected): start a fresh session.
    if (now - this.badSince > 5000) {
      this.badSince = 0;
      this.scheduleRetry();
    }
  };

  Player.prototype.stop = function () {
    this.stopped = true;
    clearInterval(this.timer);
    this.teardown();
  };

  window.LiveroomPlayer = {
    attach: function (videoEl, roomId, opts) { return new Player(videoEl, roomId, opts); }
  };
})();
