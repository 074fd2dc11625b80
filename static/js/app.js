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

// "Select all" in the flag queue: a convenience that exists only where JavaScript runs.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    var name = box.getAttribute("data-select-all");
    var form = box.form;
    box.closest("[hidden]") && box.closest("[hidden]").removeAttribute("hidden");
    box.addEventListener("change", function () {
      form.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (other) {
        other.checked = box.checked;
      });
    });
  });
});
