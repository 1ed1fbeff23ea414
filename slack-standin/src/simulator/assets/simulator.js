// The Slack simulator's page script: redraws the conversation and the modal from the
// stand-in every second (the HTML is rendered and escaped on the server), and posts what the
// person does to /simulator/as/{user}/do, which goes through the stand-in's driver.
(() => {
  'use strict';
  const app = document.querySelector('.app');
  if (!app) return;
  const user = app.dataset.user;
  const channel = app.dataset.channel;
  const thread = app.dataset.thread;
  const pane = document.getElementById('pane');
  const modal = document.getElementById('modal');
  const notice = document.getElementById('notice');
  const problems = document.getElementById('problems');
  const base = `/simulator/as/${encodeURIComponent(user)}`;
  const query = new URLSearchParams({ c: channel, thread }).toString();
  let queue = Promise.resolve();

  function tell(text) {
    notice.hidden = !text;
    notice.textContent = text || '';
  }

  // One thing at a time, in order, like a person: typing lands before the click that follows it.
  function send(doing) {
    queue = queue.then(async () => {
      try {
        const response = await fetch(`${base}/do`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(doing),
        });
        const answer = await response.json();
        tell(answer.notice);
        return answer;
      } catch (e) {
        tell(`The simulator could not reach the stand-in: ${e}`);
        return {};
      } finally {
        refresh();
      }
    });
    return queue;
  }

  function typingIn(container) {
    const active = document.activeElement;
    return active && container.contains(active) && active.matches('input, textarea, select');
  }

  // A button pressed but not yet released must stay the element it was: leaving a text box fires
  // its change (sent, then redrawn) on the press, and a redraw before the release would make the
  // click land on the container, not the button, so Submit would do nothing.
  let pressing = false;
  document.addEventListener('pointerdown', () => { pressing = true; }, true);
  document.addEventListener('pointerup', () => { setTimeout(() => { pressing = false; }, 0); }, true);
  document.addEventListener('pointercancel', () => { pressing = false; }, true);

  async function redraw(container, url) {
    if (pressing || typingIn(container)) return;
    const response = await fetch(url);
    const html = await response.text();
    if (container.dataset.html === html || pressing || typingIn(container)) return;
    container.dataset.html = html;
    container.innerHTML = html;
  }

  // Drops what the page shows of the modal and the pane so the next refresh draws the stand-in's state.
  function redrawNow() {
    document.activeElement?.blur();
    pane.dataset.html = '';
    modal.dataset.html = '';
    refresh();
  }

  async function refresh() {
    try {
      if (channel) await redraw(pane, `${base}/pane?${query}`);
      await redraw(modal, `${base}/modal`);
      await redraw(problems, `${base}/problems?since=${encodeURIComponent(app.dataset.since)}`);
    } catch (_) { /* the stand-in is restarting; the next tick tries again */ }
  }

  function where(el) {
    if (!el.matches('.external')) el = el.closest('.external') || el;
    const blocks = el.closest('[data-surface]');
    return {
      surface: JSON.parse(blocks.dataset.surface),
      block_id: el.dataset.block || null,
      action_id: el.dataset.action,
    };
  }

  document.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action]');
    if (button) {
      if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
      send({ op: 'act', ...where(button), input: { kind: 'click' } });
      return;
    }
    const option = event.target.closest('.external-options button');
    if (option) {
      const select = option.closest('.external');
      select.querySelector('.external-options').innerHTML = '';
      select.querySelector('.external-query').value = '';
      if (select.classList.contains('multi')) {
        const picked = JSON.parse(select.dataset.picked || '[]');
        if (!picked.includes(option.dataset.value)) picked.push(option.dataset.value);
        if (tooMany(select, picked.length)) return;
        send({ op: 'act', ...where(select), input: { kind: 'select_many', value: picked } });
      } else {
        send({ op: 'act', ...where(select), input: { kind: 'select', value: option.dataset.value } });
      }
      return;
    }
    const remove = event.target.closest('.chip-remove');
    if (remove) {
      const select = remove.closest('.external');
      const picked = JSON.parse(select.dataset.picked || '[]').filter((v) => v !== remove.dataset.remove);
      send({ op: 'act', ...where(select), input: { kind: 'select_many', value: picked } });
      return;
    }
    const view = event.target.closest('[data-view]');
    if (view && event.target.closest('[data-submit]')) {
      send({ op: 'submit', view_id: view.dataset.view });
    } else if (view && event.target.closest('[data-close]')) {
      send({ op: 'close', view_id: view.dataset.view });
    } else if (view && event.target.closest('[data-back]')) {
      send({ op: 'back', view_id: view.dataset.view });
    } else if (view && event.target.closest('[data-dismiss]')) {
      send({ op: 'dismiss', view_id: view.dataset.view });
    }
  });

  // Slack's multi-selects stop taking choices at max_selected_items.
  function tooMany(el, count) {
    const max = Number(el.dataset.max || 0);
    if (max && count > max) {
      tell(`You can pick at most ${max}.`);
      return true;
    }
    return false;
  }

  // The order the person picked in each multi-select, by element id.
  const pickOrder = new Map();

  // What picking in a <select> is, by element type (the driver's Input).
  const SELECT_INPUT = {
    users_select: 'user',
    conversations_select: 'conversation',
    channels_select: 'channel',
    multi_users_select: 'users',
    multi_conversations_select: 'conversations',
    multi_channels_select: 'channels',
    multi_static_select: 'select_many',
  };

  document.addEventListener('change', (event) => {
    const el = event.target;
    const choices = el.closest('fieldset.choices');
    if (choices) {
      const picked = [...choices.querySelectorAll('input:checked')].map((i) => i.value);
      const input = choices.dataset.kind === 'checkboxes'
        ? { kind: 'select_many', value: picked }
        : { kind: 'select', value: picked[0] };
      send({ op: 'act', ...where(choices), input });
      return;
    }
    if (!el.dataset || !el.dataset.action) return;
    const kind = el.dataset.kind;
    if (el.tagName === 'SELECT' && el.multiple) {
      // In the order picked, as Slack sends them: what was picked before first, then the new
      // ones. (A redraw may have replaced the element since the last pick: the page remembers.)
      const chosen = [...el.selectedOptions].map((o) => o.value);
      const remembered = pickOrder.get(el.id) || JSON.parse(el.dataset.picked || '[]');
      const before = remembered.filter((v) => chosen.includes(v));
      const picked = before.concat(chosen.filter((v) => !before.includes(v)));
      pickOrder.set(el.id, picked);
      if (tooMany(el, picked.length)) {
        redrawNow();
        return;
      }
      send({ op: 'act', ...where(el), input: { kind: SELECT_INPUT[kind], value: picked } });
    } else if (el.tagName === 'SELECT') {
      if (el.value) {
        send({ op: 'act', ...where(el), input: { kind: SELECT_INPUT[kind] || 'select', value: el.value } });
      }
    } else if (kind === 'datetimepicker') {
      // The picker shows UTC (the stand-in's people are on offset 0); Slack sends unix seconds.
      const [date, time] = el.value.split('T');
      if (!date || !time) return;
      const [y, m, d] = date.split('-').map(Number);
      const [hh, mm] = time.split(':').map(Number);
      send({ op: 'act', ...where(el), input: { kind: 'date_time', value: Date.UTC(y, m - 1, d, hh, mm) / 1000 } });
    } else if (kind === 'datepicker') {
      send({ op: 'act', ...where(el), input: { kind: 'date', value: el.value } });
    } else if (kind === 'timepicker') {
      send({ op: 'act', ...where(el), input: { kind: 'time', value: el.value } });
    } else if (kind === 'rich_text_input') {
      send({ op: 'act', ...where(el), input: { kind: 'rich_text', value: el.value } });
    } else if (/_input$/.test(kind)) {
      send({ op: 'act', ...where(el), input: { kind: 'text', value: el.value } });
    }
  });

  let searching = null;
  document.addEventListener('input', (event) => {
    const query = event.target.closest('.external-query');
    if (!query) return;
    clearTimeout(searching);
    searching = setTimeout(async () => {
      const select = query.closest('.external');
      const answer = await send({ op: 'options', ...where(select), value: query.value });
      const list = select.querySelector('.external-options');
      list.innerHTML = '';
      for (const o of answer.options || []) {
        const item = document.createElement('li');
        const pick = document.createElement('button');
        pick.type = 'button';
        pick.dataset.value = o.value;
        pick.textContent = o.text;
        item.append(pick);
        list.append(item);
      }
    }, 250);
  });

  const composer = document.getElementById('composer');
  if (composer) {
    composer.addEventListener('submit', (event) => {
      event.preventDefault();
      const input = document.getElementById('composer-text');
      const text = input.value.trim();
      if (!text) return;
      input.value = '';
      if (text.startsWith('/') && !thread) {
        send({ op: 'command', channel_id: channel, text });
      } else {
        send({ op: 'write', channel_id: channel, text, thread_ts: thread || null });
      }
    });
  }

  if (channel === 'home') send({ op: 'home' });
  refresh();
  setInterval(refresh, 1000);
})();
