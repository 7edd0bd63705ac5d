/* Keyboard review and click-to-zoom for the admin's review queue (integrations/review_admin.py).
 *
 * On a shot's review page (#review): a approves, r opens the reject form (1-9 and 0 tick the
 * reasons, Enter rejects, Esc closes it), j/n open the next shot of the queue, k/p the previous
 * one (the links the server computed from the queue's filters and order). On the queue
 * (#review-queue-keys): j/n open its first shot. Anywhere: a click on an image.zoomable shows it
 * in a lightbox, fitted to the window; a click on it there shows it at full resolution; Esc or a
 * click beside it closes the lightbox. No dependency: the admin serves this file itself.
 */
(function () {
  "use strict";

  var lightbox = null;

  function buildLightbox() {
    var box = document.createElement("div");
    box.id = "lightbox";
    box.hidden = true;
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", "Image at full resolution");
    var close = document.createElement("button");
    close.type = "button";
    close.className = "close";
    close.setAttribute("aria-label", "Close");
    close.textContent = "\u00d7";
    var img = document.createElement("img");
    img.alt = "";
    box.appendChild(close);
    box.appendChild(img);
    box.addEventListener("click", function (event) {
      if (event.target !== img) {
        closeLightbox();
        return;
      }
      // Zoom in on the point clicked: it stays under the pointer at full resolution.
      var rect = img.getBoundingClientRect();
      var x = (event.clientX - rect.left) / rect.width;
      var y = (event.clientY - rect.top) / rect.height;
      if (box.classList.toggle("actual")) {
        box.scrollLeft = x * img.naturalWidth - event.clientX;
        box.scrollTop = y * img.naturalHeight - event.clientY;
      }
    });
    document.body.appendChild(box);
    return box;
  }

  function openLightbox(source) {
    lightbox = lightbox || buildLightbox();
    var img = lightbox.querySelector("img");
    img.src = source.currentSrc || source.src;
    img.alt = source.alt;
    lightbox.classList.remove("actual");
    lightbox.hidden = false;
    document.body.classList.add("lightbox-open");
  }

  function closeLightbox() {
    if (lightbox) {
      lightbox.hidden = true;
      lightbox.classList.remove("actual");
      document.body.classList.remove("lightbox-open");
    }
  }

  function lightboxOpen() {
    return lightbox !== null && !lightbox.hidden;
  }

  function typing(target) {
    if (!target || !target.tagName) {
      return false;
    }
    var tag = target.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select" || target.isContentEditable) {
      return true;
    }
    return tag === "input" && !/^(checkbox|radio|submit|button|reset|hidden)$/i.test(target.type);
  }

  function go(url) {
    if (url) {
      window.location.assign(url);
    }
  }

  function submit(form) {
    if (form.requestSubmit) {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  document.addEventListener("click", function (event) {
    var image = event.target.closest && event.target.closest("img.zoomable");
    if (image && !(lightbox && lightbox.contains(image))) {
      event.preventDefault();
      openLightbox(image);
    }
  });

  function reviewKeys(review, event) {
    var panel = document.getElementById("reject-panel");
    var form = document.getElementById("reject-form");
    if (panel && panel.open) {
      if (event.key === "Escape") {
        panel.open = false;
        event.preventDefault();
        return;
      }
      if (event.key === "Enter" && event.target.tagName.toLowerCase() !== "textarea") {
        event.preventDefault();
        submit(form);
        return;
      }
      if (typing(event.target)) {
        return;  // the note takes digits as text
      }
      var reason = form.querySelector('.reason[data-key="' + event.key + '"] input');
      if (reason) {
        reason.checked = !reason.checked;
        event.preventDefault();
      }
      return;
    }
    if (typing(event.target)) {
      return;
    }
    switch (event.key) {
      case "a":
        var approve = document.getElementById("approve-form");
        if (approve) {
          event.preventDefault();
          submit(approve);
        }
        break;
      case "r":
        if (panel) {
          event.preventDefault();
          panel.open = true;
          form.focus();
        }
        break;
      case "j":
      case "n":
        event.preventDefault();
        go(review.dataset.nextUrl);
        break;
      case "k":
      case "p":
        event.preventDefault();
        go(review.dataset.previousUrl);
        break;
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) {
      return;
    }
    if (lightboxOpen()) {
      if (event.key === "Escape") {
        event.preventDefault();
        closeLightbox();
      }
      return;
    }
    var review = document.getElementById("review");
    if (review) {
      reviewKeys(review, event);
      return;
    }
    var queue = document.getElementById("review-queue-keys");
    if (queue && !typing(event.target) && (event.key === "j" || event.key === "n")) {
      event.preventDefault();
      go(queue.dataset.firstUrl);
    }
  });
})();
