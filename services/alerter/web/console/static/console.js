// newswatch console: the live story stream (server-sent events). No framework, no build.
// Cards arrive as HTML the server rendered and escaped; they replace a story's old card
// or go on top. When the stream breaks, the banner says whether the session expired
// (sign in again) or the server cannot be reached (the browser keeps retrying).
(function () {
  "use strict";
  var live = document.getElementById("live");
  var list = document.getElementById("stories");
  if (!live || !list || live.dataset.paused) return;

  function say(text, state) {
    live.textContent = text;
    live.className = "live " + state;
  }

  function place(html, id) {
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    var card = holder.content.firstElementChild;
    if (!card) return;
    card.classList.add("fresh");
    var old = document.getElementById("story-" + id);
    if (old) old.remove();
    var empty = document.getElementById("no-stories");
    if (empty) empty.remove();
    list.insertBefore(card, list.firstElementChild);
    setTimeout(function () { card.classList.remove("fresh"); }, 8000);
  }

  function diagnose(source) {
    fetch("/session", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (r.status === 401) {
          source.close();
          say("Your session has expired. ", "off");
          var a = document.createElement("a");
          a.href = "/login?expired=1&next=" + encodeURIComponent(location.pathname + location.search);
          a.textContent = "Sign in again";
          live.appendChild(a);
        } else {
          say("Live stream interrupted; reconnecting…", "off");
        }
      })
      .catch(function () {
        say("The newswatch server cannot be reached; retrying…", "off");
      });
  }

  function connect() {
    var source = new EventSource(live.dataset.events);
    source.addEventListener("open", function () { say("Live: new stories appear here.", "on"); });
    source.addEventListener("story", function (e) {
      var data = JSON.parse(e.data);
      place(data.html, data.id);
    });
    source.addEventListener("expired", function () { diagnose(source); });
    source.addEventListener("error", function () {
      diagnose(source);
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 3000);
    });
  }
  connect();
})();
