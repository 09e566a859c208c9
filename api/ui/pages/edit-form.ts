// Edit on approve in the console: the full arguments as JSON in a textarea (escaped like every value the page
// shows), posted as an approval with those arguments. Shown only where the round could accept an edit.
import type { ApprovalResponse } from '../../../runtime/http-api.ts';
import { editBlocker } from '../../../workflows/shared/edit-offer.ts';
import { html, type Html } from '../html.ts';
import { csrfField, type Reader } from '../layout.ts';

export function editForm(reader: Reader, view: ApprovalResponse, action: string): Html {
  if (view.arguments === undefined || editBlocker(view)) return html``;
  return html`<details class="edit">
    <summary>Edit and approve</summary>
    <form method="post" action="${action}" class="stack">
      ${csrfField(reader)}
      <input type="hidden" name="decision" value="approve" />
      <input type="hidden" name="argsDigest" value="${view.argsDigest}" />
      <label for="edit-arguments">The complete arguments to run instead (JSON)</label>
      <textarea id="edit-arguments" name="arguments" required rows="12" spellcheck="false">
${JSON.stringify(view.arguments, null, 2)}</textarea>
      <label for="edit-reason">Reason (optional)</label>
      <input id="edit-reason" name="reason" maxlength="2000" />
      <button type="submit" class="approve">Approve with these arguments</button>
    </form>
  </details>`;
}
