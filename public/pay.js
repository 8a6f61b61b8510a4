// The card form of a document's "Pay by card" page (issue 15). Stripe.js
// draws the card fields (in Stripe's frame: the card never reaches this
// page's server); this script asks the server to start, confirms the card
// with Stripe, asks the server to pay, then waits for Stripe's webhook to
// record the payment. The server computes the amount; the page only says
// which amount the payer typed, if part payments are allowed.
'use strict';
(() => {
  const form = document.getElementById('pay-form');
  if (!form) return;
  const status = document.getElementById('pay-status');
  const button = document.getElementById('pay-button');
  const amount = document.getElementById('amount');
  const amountError = document.getElementById('amount-error');
  const base = form.dataset.base;
  const say = (text, state) => {
    status.textContent = text;
    status.dataset.state = state;
  };
  if (typeof Stripe !== 'function') {
    say('The card form could not be loaded. Check your connection and reload the page.', 'failed');
    button.disabled = true;
    return;
  }
  const stripe = Stripe(form.dataset.key);
  const card = stripe.elements().create('card');
  card.mount('#card');

  const call = async (path, body) => {
    const response = await fetch(base + path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
    const answer = await response.json().catch(() => ({ error: 'Unexpected answer from the server.' }));
    if (!response.ok) throw answer;
    return answer;
  };
  const fail = (problem) => {
    const message = (problem && (problem.error || problem.message)) || 'The payment did not go through.';
    if (problem && problem.field === 'amount' && amountError) {
      amountError.textContent = message;
      say('', 'ready');
    } else {
      say(message, 'failed');
    }
    button.disabled = false;
  };
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  const wait = async (attempt) => {
    for (let tries = 0; tries < 120; tries += 1) {
      const now = await call(`/status?attempt=${encodeURIComponent(attempt)}`);
      if (now.status === 'succeeded') {
        say('Paid. Thank you! A receipt is on its way to your mailbox.', 'paid');
        return;
      }
      if (now.status === 'failed' || now.status === 'flagged') {
        fail({ error: now.message || 'The payment did not go through.' });
        return;
      }
      await sleep(1000);
    }
    say('Still processing. You will get a receipt by mail once it is through.', 'processing');
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (amountError) amountError.textContent = '';
    button.disabled = true;
    say('Checking your card…', 'working');
    try {
      const started = await call('/start', {});
      const setup = await stripe.confirmCardSetup(started.client_secret, { payment_method: { card } });
      if (setup.error) return fail(setup.error);
      let paid = await call('/confirm', { attempt: started.attempt, amount: amount ? amount.value : '' });
      if (paid.client_secret) {
        const authenticated = await stripe.confirmCardPayment(paid.client_secret);
        if (authenticated.error) return fail(authenticated.error);
      }
      if (paid.status === 'failed') return fail({ error: paid.message });
      say('Processing your payment…', 'processing');
      await wait(started.attempt);
    } catch (problem) {
      fail(problem);
    }
  });
})();
