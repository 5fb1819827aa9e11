// The brief form, built from the server's own payload schemas (GET /video-types).
import {clear, el} from './dom.js';

export function renderFields(container, type) {
  clear(container);
  for (const field of type.fields) {
    const id = `field-${field.name}`;
    const help = field.help ? el('p', {class: 'hint', id: `${id}-help`}, field.help) : null;
    const common = {id, name: field.name, 'aria-describedby': `${id}-help ${id}-error`, required: field.required};
    let input;
    if (field.type === 'choice') {
      // An optional choice without a default (aspect) offers "the type's own" first.
      const own = field.default == null && !field.required ? [el('option', {value: '', selected: true}, "the type's own")] : [];
      input = el('select', common, [...own, ...field.choices.map((choice) =>
        el('option', {value: choice, selected: choice === field.default}, choice))]);
    } else if (field.type === 'multi_choice') {
      input = el('select', {...common, multiple: true, size: field.choices.length},
        field.choices.map((choice) => el('option', {value: choice}, choice)));
    } else if (field.type === 'references') {
      input = referencesPicker(common);
    } else if (field.type === 'long_text') {
      input = el('textarea', {...common, rows: field.name === 'reference_docs' ? 6 : 3, maxlength: field.max_length});
    } else {
      input = el('input', {...common, type: 'text', maxlength: field.max_length,
                           placeholder: field.default ?? ''});
    }
    container.append(
      el('label', {for: id, class: field.required ? 'required' : ''}, field.label),
      input.wrapper ?? input,
      help,
      el('p', {class: 'field-error', id: `${id}-error`, hidden: true}),
    );
  }
}

const REFERENCE_TYPES = {pdf: 'application/pdf', md: 'text/markdown', markdown: 'text/markdown', txt: 'text/plain'};

// The caller's references to choose from, and a file input that uploads one more and selects it.
function referencesPicker(common) {
  const select = el('select', {...common, multiple: true, size: 3});
  const add = (reference, selected) => select.append(
    el('option', {value: reference.id, selected}, `${reference.title} (${reference.sentences.length} sentences)`));
  fetch('/assets/references').then((r) => (r.ok ? r.json() : {references: []}))
    .then((body) => body.references.forEach((reference) => add(reference, false)))
    .catch(() => {});
  const upload = el('input', {type: 'file', id: `${common.id}-upload`, accept: '.pdf,.txt,.md,.markdown',
                              'aria-label': 'Upload a reference (PDF, text or Markdown)'});
  upload.addEventListener('change', async () => {
    const file = upload.files[0];
    if (!file) return;
    const kind = REFERENCE_TYPES[file.name.split('.').pop().toLowerCase()] ?? file.type;
    const error = document.getElementById(`${common.id}-error`);
    let response;
    let body;
    try {
      response = await fetch('/assets/references', {method: 'POST', headers: {'Content-Type': kind}, body: file});
      body = await response.json();
    } catch (failure) {
      error.hidden = false;
      error.textContent = `${file.name}: the upload did not reach the server (${failure.message}); try again.`;
      upload.value = '';
      return;
    }
    error.hidden = response.ok;
    error.textContent = response.ok ? '' : `${file.name}: ${body.error}`;
    if (response.ok) add(body, true);
    upload.value = '';
  });
  // The form reads the select (by its name); the upload sits beside it.
  return Object.assign(select, {wrapper: el('div', {class: 'references'}, select, upload)});
}

// The payload: every filled field, trimmed; empty optional fields are left to their defaults.
export function collectPayload(form, type) {
  const payload = {};
  for (const field of type.fields) {
    const input = form.elements[field.name];
    if (field.type === 'multi_choice' || field.type === 'references') {
      const chosen = [...input.selectedOptions].map((option) => option.value);
      if (chosen.length) payload[field.name] = chosen;
      continue;
    }
    const value = input.value.trim();
    if (value !== '') payload[field.name] = value;
  }
  return payload;
}

export function clearFieldErrors(form) {
  for (const node of form.querySelectorAll('.field-error')) {
    node.hidden = true;
    node.textContent = '';
  }
  for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
}

// The server names fields 'payload.<name>'; each error goes under its field.
export function showFieldErrors(form, fields) {
  let first = null;
  for (const {field, error} of fields) {
    const name = field.replace(/^payload\./, '');
    const input = form.elements[name];
    const message = form.querySelector(`#field-${CSS.escape(name)}-error`);
    if (!input || !message) continue;
    input.setAttribute('aria-invalid', 'true');
    message.textContent = `${input.labels?.[0]?.textContent ?? name} ${error}`;
    message.hidden = false;
    first ??= input;
  }
  first?.focus();
  return first !== null;
}
