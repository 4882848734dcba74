/* The item page's small helpers (no framework): the thread opens at its newest message, a
   saved reply fills the reply box, and the reply box counts SMS segments as carriers do
   (GSM-7: 160, or 153 a segment when split; UCS-2: 70, or 67; bot/languages/segments.py). */
(function () {
  "use strict";
  var GSM = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM_EXTENDED = "\f^{}\\[~]|€";

  function count(text) {
    var units = [], gsm = true, i, ch;
    var chars = Array.from(text);
    for (i = 0; i < chars.length; i++) {
      ch = chars[i];
      if (GSM.indexOf(ch) >= 0) { units.push(1); }
      else if (GSM_EXTENDED.indexOf(ch) >= 0) { units.push(2); }
      else { gsm = false; break; }
    }
    if (!gsm) {
      units = chars.map(function (c) { return c.codePointAt(0) > 0xFFFF ? 2 : 1; });
    }
    var encoding = gsm ? "GSM-7" : "UCS-2";
    var total = units.reduce(function (a, b) { return a + b; }, 0);
    var single = gsm ? 160 : 70, room = gsm ? 153 : 67;
    if (total === 0) { return { encoding: encoding, units: 0, segments: 0, per: single }; }
    if (total <= single) { return { encoding: encoding, units: total, segments: 1, per: single }; }
    var segments = 1, used = 0;
    units.forEach(function (size) {
      if (used + size > room) { segments += 1; used = 0; }
      used += size;
    });
    return { encoding: encoding, units: total, segments: segments, per: room };
  }
  window.medsyncSegments = count;

  function describe(box, out) {
    var c = count(box.value);
    var expected = box.getAttribute("data-encoding");
    var text = c.units + " " + (c.encoding === "GSM-7" ? "characters" : "UCS-2 units") +
      " · " + c.segments + " segment" + (c.segments === 1 ? "" : "s") + " (" + c.encoding + ")";
    if (expected === "GSM-7" && c.encoding === "UCS-2") {
      text += " · a character outside GSM-7 makes every segment shorter";
    }
    out.textContent = text;
    out.classList.toggle("counter-over", c.segments > 3);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var thread = document.getElementById("thread");
    if (thread) {
      thread.scrollTop = thread.scrollHeight;
      // On a small screen the newest message may start below the fold: bring it up, unless
      // the address asks for another place on the page.
      var latest = document.getElementById("thread-end");
      if (latest && !window.location.hash &&
          latest.getBoundingClientRect().bottom > window.innerHeight) {
        latest.scrollIntoView({ block: "end" });
      }
    }
    var box = document.getElementById("reply-body");
    var out = document.getElementById("reply-segments");
    if (box && out) {
      box.addEventListener("input", function () { describe(box, out); });
      describe(box, out);
    }
    var saved = document.getElementById("saved-reply");
    if (saved && box) {
      saved.addEventListener("change", function () {
        if (saved.value) { box.value = saved.value; box.dispatchEvent(new Event("input")); box.focus(); }
      });
    }
  });
})();
