// After htmx replaces part of a page, move focus to the element the server marked
// (an error summary or the new result), so keyboard and screen-reader users follow along.
document.addEventListener("htmx:afterSettle", function () {
  var target = document.querySelector("[data-focus-after-swap]");
  if (target) {
    target.removeAttribute("data-focus-after-swap");
    target.setAttribute("tabindex", "-1");
    target.focus();
  }
});
