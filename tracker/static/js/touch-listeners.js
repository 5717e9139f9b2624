/* Touch listeners that may cancel, for the charts' own gestures.
 *
 * plotly.js (its d3 drag and zoom code) listens for touch moves on the document and calls
 * preventDefault() on them, so that a finger pans the map or drags a range slider instead
 * of scrolling the page. Chromium treats touchstart and touchmove listeners on window,
 * document and body as passive unless they say otherwise: it ignores the call and logs
 * "Unable to preventDefault inside passive event listener" as a console error for every
 * move. Loaded before plotly on the pages that draw charts (and nowhere else), this marks
 * such listeners, when added without options, as not passive: the behaviour the handlers
 * were written for. Listeners with explicit options, and every other target, are left as
 * they are; capture is kept, so removeEventListener still finds them.
 */
(function () {
  "use strict";
  var add = EventTarget.prototype.addEventListener;
  var touch = { touchstart: true, touchmove: true };
  EventTarget.prototype.addEventListener = function (type, listener, options) {
    var root = this === window || this === document || this === document.body;
    if (touch[type] === true && root && (options === undefined || typeof options === "boolean")) {
      options = { capture: options === true, passive: false };
    }
    return add.call(this, type, listener, options);
  };
})();
