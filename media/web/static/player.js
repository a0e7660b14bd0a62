/* liveroom player: plays a room's host (and co-host guest) stream in a <video>, by WHEP or HLS.
 *
 *   var player = LiveroomPlayer.attach(videoEl, roomId, {
 *     base: "",                      // liveroom's origin, default this page's (the room status lives there)
 *     playback: {                    // where the video comes from (room.yaml `playback`), default liveroom's WHEP
 *       via: "whep" | "hls",
 *       whep: null,                  // an external SFU's WHEP URL (fed by restream); null: liveroom's /whep/{room}
 *       hls: null,                   // the HLS playlist URL (liveroom's /hls/{room}/index.m3u8 or a CDN's)
 *       fallback: true,              // play HLS when WebRTC cannot connect (when there is an HLS URL)
 *       hlsScript: "/static/vendor/hls.light.min.js"  // loaded only when HLS plays through MSE
 *     },
 *     onState: function (state, text) {},   // "connecting" | "waiting" | "playing" | "reconnecting"
 *     onPath: function (path, fallback) {}, // "whep" | "sfu" | "hls" once it plays; fallback: why it left WebRTC
 *     onGuest: function (guestVideoEl) {},  // guest video shown (element) or gone (null)
 *     texts: { waiting: "...", ... }  // override the Chinese defaults
 *   });
 *   player.unmute(); player.stop();
 *
 * Autoplay rules: the video starts muted and an unmute button is shown. The
 * player keeps one WHEP session open while the host is away, and starts a new one
 * by itself when the connection drops, so viewers never need to reload. HLS plays through
 * hls.js (low-latency mode) where the browser has MSE, else the browser's own HLS (iOS Safari).
 */
(function () {
  "use strict";

  var TEXTS = {
    connecting: "连接中…",
    waiting: "等待主播开播…",
    playing: "",
    reconnecting: "重新连接中…",
    unmute: "点击开启声音",
    missing: "直播间不存在",
    codec: "此浏览器无法播放本直播的视频格式"
  };
  var CONNECT_LIMIT_MS = 8000;  // live, answered, and still not connected after this: WebRTC cannot get through
  var TURN_RETRY_MS = 4000;  // answered with TURN servers but not connected: connect again through them

  function loadScript(src) {
    if (window.Hls) return Promise.resolve();
    if (loadScript.pending) return loadScript.pending;
    loadScript.pending = new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = src;
      tag.onload = function () { resolve(); };
      tag.onerror = function () { loadScript.pending = null; reject(new Error("cannot load " + src)); };
      document.head.appendChild(tag);
    });
    return loadScript.pending;
  }

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
    var pb = this.opts.playback || {};
    this.playback = {
      via: pb.via === "hls" ? "hls" : "whep", whep: pb.whep || null, hls: pb.hls || null,
      fallback: pb.fallback !== false, hlsScript: pb.hlsScript || "/static/vendor/hls.light.min.js"
    };
    this.mode = this.playback.via;
    this.fellBack = null;  // why WebRTC was given up for HLS
    this.path = null;
    this.hls = null;
    this.hlsFrames = -1;
    this.connectStarted = 0;
    this.failures = 0;
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
    if (this.mode === "whep" && !window.RTCPeerConnection && this.canFallBack()) this.fallBack("no_webrtc");
    else if (this.mode === "hls") this.startHls();
    else this.connect();
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
    if (state === "playing") this.setPath(this.mode === "hls" ? "hls" : this.playback.whep ? "sfu" : "whep");
    if (this.opts.onState) this.opts.onState(state, text);
  };

  Player.prototype.setPath = function (path) {
    if (this.path === path) return;
    this.path = path;
    this.video.dataset.path = path;
    if (this.fellBack) this.video.dataset.fallback = this.fellBack;
    if (this.opts.onPath) this.opts.onPath(path, this.fellBack);
  };

  Player.prototype.canFallBack = function () {
    return this.mode === "whep" && this.playback.fallback && !!this.playback.hls;
  };

  // WebRTC cannot get through (no WebRTC, a firewall, a codec this browser lacks): play HLS instead.
  Player.prototype.fallBack = function (why) {
    if (window.console) console.warn("liveroom player: WebRTC unavailable (" + why + "), playing HLS");
    this.fellBack = why;
    this.teardown();
    this.mode = "hls";
    this.startHls();
  };

  Player.prototype.startHls = function () {
    if (this.stopped) return;
    var self = this, video = this.video;
    var url = new URL(this.playback.hls, window.location.href).toString();
    this.hlsFrames = -1;
    this.badSince = 0;
    var mse = window.MediaSource || window.ManagedMediaSource;
    if (!mse && video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = url;  // iOS Safari: its own (low-latency) HLS
      video.play().catch(function () {});
      return;
    }
    loadScript(this.playback.hlsScript).then(function () {
      if (self.stopped || self.mode !== "hls") return;
      if (!window.Hls.isSupported()) { video.src = url; video.play().catch(function () {}); return; }
      var hls = new window.Hls({ lowLatencyMode: true, enableWorker: false, backBufferLength: 10,
        maxLiveSyncPlaybackRate: 1.5, manifestLoadingMaxRetry: 2 });
      hls.on(window.Hls.Events.ERROR, function (event, data) {
        if (data.fatal && hls === self.hls) self.restartHls();
      });
      hls.on(window.Hls.Events.MANIFEST_PARSED, function () { video.play().catch(function () {}); });
      self.hls = hls;
      hls.loadSource(url);
      hls.attachMedia(video);
    }, function (err) {
      if (window.console) console.warn("liveroom player: " + err);
      setTimeout(function () { self.restartHls(); }, self.retryDelay);
    });
  };

  Player.prototype.restartHls = function () {
    if (this.stopped || this.mode !== "hls") return;
    if (this.hls) { this.hls.destroy(); this.hls = null; }
    var self = this;
    clearTimeout(this.hlsTimer);
    this.hlsTimer = setTimeout(function () { self.startHls(); }, this.retryDelay);
    this.retryDelay = Math.min(this.retryDelay * 2, 8000);
  };

  Player.prototype.unmute = function () {
    this.video.muted = false;
    if (this.guestVideo) this.guestVideo.muted = false;
    this.unmuteButton.hidden = true;
    this.video.play().catch(function () {});
  };

  Player.prototype.url = function () {
    return this.playback.whep || this.base + "/whep/" + encodeURIComponent(this.room);
  };

  Player.prototype.statusUrl = function () {
    return this.base + "/whep/" + encodeURIComponent(this.room) + "/status";
  };

  Player.prototype.connect = async function () {
    if (this.stopped || this.mode !== "whep") return;
    var self = this;
    this.connectStarted = Date.now();
    try {
      var iceServers = [];
      try { iceServers = parseIceLinks(await fetch(this.url(), { method: "OPTIONS" })); } catch (e) { /* optional */ }
      // OPTIONS lists STUN only; TURN (short-lived credentials) comes with a session's answer (RFC 9725 §4.6):
      // what an earlier answer gave is used from the start of every later connection.
      var relayed = (this.answerIce || []).length > 0;
      iceServers = iceServers.concat(this.answerIce || []);
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
        if (pc.connectionState === "connected") self.failures = 0;
        if (pc.connectionState === "failed" && ++self.failures >= 2 && self.canFallBack()) self.fallBack("ice_failed");
        else if (pc.connectionState === "failed" || pc.connectionState === "closed") self.reconnect();
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
      if (response.status === 406) {
        // No codec in common with what the room sends: HLS if there is one, else say so.
        if (this.canFallBack()) { this.fallBack("codec"); return; }
        this.overlay.textContent = this.texts.codec;
        this.overlay.hidden = false;
        throw new Error("WHEP 406 " + (response.headers.get("X-Room-Video-Codec") || ""));
      }
      if (response.status >= 500 && this.canFallBack() && ++this.failures >= 2) { this.fallBack("whep_" + response.status); return; }
      if (response.status !== 201) throw new Error("WHEP " + response.status);
      var location = response.headers.get("Location");
      this.location = location ? new URL(location, new URL(this.url(), window.location.href)).toString() : null;
      var turn = parseIceLinks(response).filter(function (s) { return /^turns?:/.test(String(s.urls)) && s.credential; });
      if (turn.length) this.answerIce = turn;
      await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
      if (turn.length && !relayed) {
        // This connection gathered without TURN: if it does not connect soon, connect again through it.
        setTimeout(function () {
          if (pc === self.pc && pc.connectionState !== "connected" && !self.stopped) self.reconnect();
        }, TURN_RETRY_MS);
      }
      this.retryDelay = 1000;
      this.badSince = 0;
    } catch (err) {
      if (window.console) console.warn("liveroom player: " + err);
      // The WHEP endpoint cannot be reached at all (blocked, down): a fetch TypeError.
      if (err instanceof TypeError && this.canFallBack() && ++this.failures >= 2) { this.fallBack("unreachable"); return; }
      this.scheduleRetry();
    }
  };

  Player.prototype.scheduleRetry = function () {
    if (this.stopped || this.mode !== "whep") return;
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

  Player.prototype.hostLive = async function () {
    try {
      var r = await fetch(this.statusUrl(), { cache: "no-store" });
      return r.ok && (await r.json()).live;
    } catch (e) { return false; }
  };

  Player.prototype.watchHls = async function () {
    var q = this.video.getVideoPlaybackQuality ? this.video.getVideoPlaybackQuality() : null;
    var frames = q ? q.totalVideoFrames : Math.round(this.video.currentTime * 30);
    var moving = this.hlsFrames >= 0 && frames > this.hlsFrames;
    this.hlsFrames = frames;
    var now = Date.now();
    if (moving) {
      this.stalled.host = now;
      this.badSince = 0;
      this.retryDelay = 1000;
      this.setState("playing");
      if (this.video.paused) this.video.play().catch(function () {});
      return;
    }
    if (this.state === "playing" && now - this.stalled.host < 3000) return;
    var live = await this.hostLive();
    if (!live) { this.badSince = 0; this.setState("waiting"); return; }
    this.setState(this.state === "playing" || this.state === "reconnecting" ? "reconnecting" : "connecting");
    if (!this.badSince) this.badSince = now;
    if (now - this.badSince > 6000) {  // live but nothing plays (the stream ended and began anew): reload
      this.badSince = 0;
      this.restartHls();
    }
  };

  Player.prototype.watch = async function () {
    if (this.stopped) return;
    if (this.mode === "hls") return this.watchHls();
    if (!this.pc) return;
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
    var live = await this.hostLive();
    var pcState = this.pc ? this.pc.connectionState : "closed";
    if (live && pcState !== "connected" && this.connectStarted && now - this.connectStarted > CONNECT_LIMIT_MS && this.canFallBack()) {
      this.fallBack("no_connection");
      return;
    }
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
    clearTimeout(this.hlsTimer);
    this.teardown();
    if (this.hls) { this.hls.destroy(); this.hls = null; }
  };

  window.LiveroomPlayer = {
    players: [],
    attach: function (videoEl, roomId, opts) {
      var player = new Player(videoEl, roomId, opts);
      this.players.push(player);
      return player;
    }
  };
})();
