/* Filters and facets sit in a <details> that is folded on a phone, so the results start on the
   first screen and the filters are one tap away. On a wide screen there is room beside the
   results: unfold them. Progressive enhancement only: without this script they stay one tap away. */
(function () {
  "use strict";
  function unfold() {
    if (!window.matchMedia || !window.matchMedia("(min-width: 48rem)").matches) { return; }
    var boxes = document.querySelectorAll("details.facets-disclosure");
    for (var i = 0; i < boxes.length; i++) { boxes[i].open = true; }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", unfold);
  } else {
    unfold();
  }
}());
