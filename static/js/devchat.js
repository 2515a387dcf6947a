// The chat page without reloads: forms marked data-fetch are sent in the background, and
// the messages are fetched again whenever the chat changed (new, edited or deleted
// messages). Without JavaScript the forms post and the page refreshes itself.
(function () {
  "use strict";
  var box = document.getElementById("messages");
  if (!box) { return; }
  var busy = false;

  function scrollDown() { box.scrollTop = box.scrollHeight; }

  function refresh() {
    if (busy) { return; }
    busy = true;
    var url = box.dataset.url + "?version=" + encodeURIComponent(box.dataset.version || "");
    fetch(url, { headers: { "X-Requested-With": "fetch" }, cache: "no-store" })
      .then(function (response) {
        if (response.status !== 200) { return null; }
        box.dataset.version = response.headers.get("X-Chat-Version") || "";
        return response.text();
      })
      .then(function (html) {
        if (html !== null) {
          var atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
          box.innerHTML = html;
          if (atBottom) { scrollDown(); }
        }
      })
      .catch(function () { /* the next tick tries again */ })
      .then(function () { busy = false; });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-fetch")) { return; }
    event.preventDefault();
    var data = new FormData(form);
    var text = form.querySelector("input[name=text]:not([type=hidden])");
    fetch(form.action, { method: "POST", body: data, headers: { "X-Requested-With": "fetch" } })
      .then(function () {
        if (text) { text.value = ""; text.focus(); }
        setTimeout(refresh, 150);
      });
  });

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  scrollDown();
  setInterval(refresh, 700);
})();
