// Reading aids that need a script; the page reads the same without them. A table wider than its box says so
// in its caption (the first column stays in view by CSS alone), and a chart mark that stands for a district
// shows its title (name and value) beside it on keyboard focus as on hover.
(function () {
  function cue() {
    document.querySelectorAll(".districtstat-table, .sd-table").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      box.classList.toggle("scrolls", scrolls);
      if (scrolls && !box.hasAttribute("tabindex")) {  // a keyboard reader can scroll it too
        var caption = box.querySelector("caption");
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", caption ? caption.textContent : "Table");
      }
    });
  }
  cue();
  window.addEventListener("resize", cue);

  var tip = null;
  function show(mark) {
    var title = mark.querySelector("title");
    if (!title) return;
    if (!tip) {
      tip = document.createElement("div");
      tip.className = "mark-tip";
      tip.setAttribute("aria-hidden", "true");
      document.body.appendChild(tip);
    }
    tip.textContent = title.textContent;
    var where = mark.getBoundingClientRect();
    tip.style.display = "block";
    var left = window.scrollX + where.right + 6;
    if (left + tip.offsetWidth > window.scrollX + document.documentElement.clientWidth) left = Math.max(window.scrollX, window.scrollX + where.left - 6 - tip.offsetWidth);
    tip.style.left = left + "px";
    tip.style.top = window.scrollY + where.top - 4 + "px";
  }
  function hide() { if (tip) tip.style.display = "none"; }
  document.querySelectorAll("a.district-mark").forEach(function (mark) {
    mark.addEventListener("focus", function () { show(mark); });
    mark.addEventListener("blur", hide);
    mark.addEventListener("mouseenter", function () { show(mark); });
    mark.addEventListener("mouseleave", hide);
  });
})();
