// A page that says why there is nothing to show (404, a refusal): in the console's shell, with its navigation.
import { html } from '../html.ts';
import { page, type Reader } from '../layout.ts';

export function statusPage(title: string, message: string, reader?: Reader): string {
  return page(
    title,
    html`<h1>${title}</h1>
      <p role="alert">${message}</p>`,
    reader,
  );
}
