// Pages showing running work reload themselves; a log of a running task is followed.
(function () {
  "use strict";
  var log = document.getElementById("log");
  if (log && log.dataset.follow) {
    var offset = parseInt(log.dataset.offset || "0", 10);
    var poll = function () {
      fetch(log.dataset.follow + "&offset=" + offset, { credentials: "same-origin" })
        .then(function (response) {
          var state = response.headers.get("X-Kiln-Task-State") || "";
          var next = parseInt(response.headers.get("X-Kiln-Next-Offset") || String(offset), 10);
          return response.text().then(function (text) {
            if (text) {
              var atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
              log.appendChild(document.createTextNode(text));
              if (atBottom) { log.scrollTop = log.scrollHeight; }
            }
            var label = document.getElementById("log-state");
            if (label && state) { label.textContent = state; label.className = "state " + state; }
            offset = next;
            var running = state === "free" || state === "open" || state === "assigned";
            if (running || text) { setTimeout(poll, 1500); }
          });
        })
        .catch(function () { setTimeout(poll, 5000); });
    };
    setTimeout(poll, 1500);
    return;
  }
  var seconds = parseInt(document.body.dataset.refresh || "0", 10);
  if (seconds > 0) {
    setTimeout(function () { window.location.reload(); }, seconds * 1000);
  }
})();
