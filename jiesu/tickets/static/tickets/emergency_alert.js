/* The dispatch queue (tickets/dispatch_queue.html) asks every 15 s for emergencies recorded since the page was drawn,
   and for those put back in the queue since (a return upheld, a take-back…; marked 「重新待派」), with two cursors,
   over the ticket ids and the event ids (emergency_views.poll: JSON; core/id_cursor.py): each is the last id
   read, the ids above it already read ("held", below a gap that a transaction not yet committed may fill) and
   since when it waits at that gap. The page sends back what the server returned. A new one shows the banner naming it
   (its title masked as the queue shows it), prefixes the page title 「(1) 紧急」 and sounds a short tone made with the
   Web Audio API, which the dispatcher can switch off (remembered in localStorage). 「已看到」 hides the banner and the
   prefix until the next one. A browser starts sound only after the user has touched the page: the AudioContext is
   made on the first click or key. A poll that fails is said (#emergency-poll-failed, and 「(!) 提醒中断」 before the
   page title): a lapsed login (401) at once, a server error or the network after two polls in a row (one may be a
   moment's blip); the cursors stay, so the next poll that answers announces what was recorded meanwhile. A poll is
   not sent while the one before is unanswered (both would announce the same emergencies), for at most 30 s. */
(function () {
  "use strict";
  var INTERVAL_MS = 15000;
  var SOUND_KEY = "jiesu.emergencyTone";
  var box = document.getElementById("emergency-alert");
  if (!box || window.jiesuEmergencyAlert) { return; }
  var sound = document.getElementById("emergency-sound");
  var failedBox = document.getElementById("emergency-poll-failed");
  var failures = 0;  // polls failed in a row
  var baseTitle = document.title;
  var cursor = {after: box.dataset.after || "0", held: box.dataset.held || "", since: box.dataset.since || ""};
  // none: the server starts from its last event
  var eventCursor = {after: box.dataset.afterEvent || "", held: box.dataset.heldEvent || "",
                     since: box.dataset.sinceEvent || ""};
  var unseen = 0;
  var audio = null;
  var pending = null;  // the poll sent and not yet answered
  var api = window.jiesuEmergencyAlert = {
    poll: poll,
    asked: 0,  // the polls sent
    answered: 0,  // the polls answered (or failed)
    tones: 0,  // the tones started
    audioState: function () { return audio ? audio.state : "none"; }
  };

  function soundOn() {
    return window.localStorage.getItem(SOUND_KEY) !== "off";
  }

  function audioContext() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) { audio = new Context(); }
    return audio;
  }

  function tone() {
    var context = soundOn() && audioContext();
    if (!context) { return; }
    if (context.state === "suspended") { context.resume(); }
    [0, 0.35].forEach(function (start) {  // two short beeps, 880 Hz
      var oscillator = context.createOscillator();
      var gain = context.createGain();
      oscillator.frequency.value = 880;
      gain.gain.setValueAtTime(0.2, context.currentTime + start);
      gain.gain.exponentialRampToValueAtTime(0.001, context.currentTime + start + 0.25);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(context.currentTime + start);
      oscillator.stop(context.currentTime + start + 0.25);
    });
    api.tones += 1;
    box.dataset.tones = String(api.tones);
  }

  function item(emergency) {
    var li = document.createElement("li");
    var link = document.createElement("a");
    var badge = document.createElement("span");
    link.href = emergency.url;
    link.textContent = emergency.number;
    badge.className = "badge queue-emergency";
    badge.textContent = box.dataset.badge.replace("{line}", emergency.line);
    li.appendChild(badge);
    if (emergency.requeued) {
      var back = document.createElement("span");
      back.className = "badge emergency-requeued";
      back.textContent = box.dataset.requeued;
      li.appendChild(document.createTextNode(" "));
      li.appendChild(back);
    }
    li.appendChild(document.createTextNode(" "));
    li.appendChild(link);
    li.appendChild(document.createTextNode(" " + emergency.title +
      (emergency.call_back ? " — " + box.dataset.callBack : "")));
    return li;
  }

  function show(found) {
    var list = box.querySelector(".emergency-alert-list");
    found.emergencies.slice().reverse().forEach(function (emergency) {
      list.insertBefore(item(emergency), list.firstChild);
    });
    unseen += found.count;
    box.querySelector(".emergency-alert-head").textContent = box.dataset.one + " (" + unseen + ")";
    box.hidden = false;
    showTitle();
    tone();
  }

  function seen() {
    unseen = 0;
    box.hidden = true;
    box.querySelector(".emergency-alert-list").textContent = "";
    showTitle();
  }

  function showTitle() {  // new emergencies first, then a poll that fails
    if (unseen > 0) {
      document.title = "(" + unseen + ") " + box.dataset.titleWord + " · " + baseTitle;
    } else if (!failedBox.hidden) {
      document.title = "(!) " + failedBox.dataset.titleWord + " · " + baseTitle;
    } else {
      document.title = baseTitle;
    }
  }

  function failed(lapsed) {
    failures += 1;
    if (lapsed || failures >= 2) {
      failedBox.textContent = lapsed ? failedBox.dataset.lapsed : failedBox.dataset.failed;
      failedBox.hidden = false;
      showTitle();
    }
  }

  function answered() {
    failures = 0;
    if (!failedBox.hidden) {
      failedBox.hidden = true;
      showTitle();
    }
  }

  function cursorParams(c, suffix) {
    if (!c.after) { return ""; }
    return "&after" + suffix + "=" + encodeURIComponent(c.after) +
      (c.held ? "&held" + suffix + "=" + encodeURIComponent(c.held) : "") +
      (c.since ? "&since" + suffix + "=" + encodeURIComponent(c.since) : "");
  }

  function cursorOf(found, suffix) {
    var since = found["since" + suffix];
    return {after: String(found["last" + suffix]), held: found["held" + suffix] || "",
            since: since === null || since === undefined ? "" : String(since)};
  }

  function poll() {
    // A poll still unanswered (a slow server, a stalled network) is waited for, not sent again: both would send the
    // same cursor and announce the same emergencies twice.
    if (pending) { return pending; }
    api.asked += 1;
    var url = box.dataset.poll + "?" + cursorParams(cursor, "").slice(1) + cursorParams(eventCursor, "_event") +
      (box.dataset.district ? "&district=" + encodeURIComponent(box.dataset.district) : "");
    // ...but not for ever: one unanswered after two intervals is dropped (a failure; the cursor stays, nothing is lost)
    var stop = window.AbortController ? new window.AbortController() : null;
    var timer = stop ? window.setTimeout(function () { stop.abort(); }, 2 * INTERVAL_MS) : null;
    pending = fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"},
                          signal: stop ? stop.signal : undefined})
      .then(function (response) {
        if (!response.ok) { failed(response.status === 401); return null; }
        return response.json();
      })
      .then(function (found) {
        if (!found) { return; }
        answered();
        cursor = cursorOf(found, "");
        eventCursor = cursorOf(found, "_event");
        if (found.count > 0) { show(found); }
      })
      .catch(function () { failed(false); })  // the network, or an answer that is no JSON: asked again next time
      .then(function () { window.clearTimeout(timer); pending = null; api.answered += 1; });
    return pending;
  }

  sound.checked = soundOn();
  sound.addEventListener("change", function () {
    window.localStorage.setItem(SOUND_KEY, sound.checked ? "on" : "off");
  });
  box.querySelector("[data-dismiss]").addEventListener("click", seen);
  ["click", "keydown"].forEach(function (kind) {
    document.addEventListener(kind, function () { if (soundOn()) { audioContext(); } });
  });
  window.setInterval(poll, INTERVAL_MS);
})();
