// Small enhancements of the server-rendered forms; every form works the same without them.
// - A "Show" button beside every password field.
// - Forms marked `js-submitting`: once sent, the button says so ("Logging in…") and a second
//   tap does not send the form again (double submits on phones).
// - A page shown again with an error summary: focus moves to the summary, so that a screen
//   reader reads it first and the keyboard starts there (it has tabindex=-1 for this).
(function () {
  'use strict';

  function addReveal(input) {
    if (input.dataset.revealReady) return;
    input.dataset.revealReady = '1';
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'reveal-toggle secondary';
    button.textContent = 'Show';
    button.setAttribute('aria-controls', input.id);
    button.setAttribute('aria-pressed', 'false');
    button.setAttribute('aria-label', 'Show password');
    button.addEventListener('click', function () {
      var show = input.type === 'password';
      input.type = show ? 'text' : 'password';
      button.textContent = show ? 'Hide' : 'Show';
      button.setAttribute('aria-pressed', show ? 'true' : 'false');
      input.focus();
    });
    var wrap = document.createElement('div');
    wrap.className = 'reveal-wrap';
    input.parentNode.insertBefore(wrap, input);
    var focused = document.activeElement === input;
    wrap.appendChild(input);
    wrap.appendChild(button);
    // Moving the field drops its focus (and autofocus has already run): give it back.
    if (focused || input.autofocus) input.focus();
  }

  function guardSubmit(form) {
    form.addEventListener('submit', function (event) {
      if (form.dataset.submitted === '1') {
        event.preventDefault();
        return;
      }
      form.dataset.submitted = '1';
      // Passwords go as typed, never left visible on the next page's back-navigation.
      var revealed = form.querySelectorAll('input[data-reveal-ready][type="text"]');
      for (var i = 0; i < revealed.length; i++) revealed[i].type = 'password';
      var button = event.submitter || form.querySelector('button[type="submit"], button:not([type])');
      if (button && button.dataset.submitting) {
        button.dataset.label = button.textContent;
        button.textContent = button.dataset.submitting;
        button.setAttribute('aria-disabled', 'true');
        button.classList.add('is-submitting');
      }
    });
  }

  // Back/forward cache: a page shown again must be usable again.
  window.addEventListener('pageshow', function () {
    var forms = document.querySelectorAll('form[data-submitted]');
    for (var i = 0; i < forms.length; i++) {
      delete forms[i].dataset.submitted;
      var busy = forms[i].querySelectorAll('.is-submitting');
      for (var j = 0; j < busy.length; j++) {
        busy[j].textContent = busy[j].dataset.label || busy[j].textContent;
        busy[j].removeAttribute('aria-disabled');
        busy[j].classList.remove('is-submitting');
      }
    }
  });

  var inputs = document.querySelectorAll('input[type="password"]:not(.pm-only)');
  for (var i = 0; i < inputs.length; i++) addReveal(inputs[i]);
  var forms = document.querySelectorAll('form.js-submitting');
  for (var k = 0; k < forms.length; k++) guardSubmit(forms[k]);
  // Last, so that it wins over a field's autofocus.
  var summary = document.querySelector('.error-summary[tabindex="-1"]');
  if (summary) summary.focus();
})();
