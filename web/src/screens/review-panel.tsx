import { useEffect, useRef, type RefObject } from "preact/compat";
import { reviewVerdicts, type ReviewVerdict } from "../api-types.ts";
import { useMessages } from "../i18n/language.tsx";
import { reviewMessages } from "./review.messages.ts";

/** What the review keys do on the current screen; a missing handler leaves its key alone. */
export interface ReviewKeyHandlers {
  readonly onMove?: (step: 1 | -1) => void;
  readonly onOpen?: () => void;
  readonly onVerdict?: (verdict: ReviewVerdict) => void;
  readonly onNote?: () => void;
  readonly onHelp?: () => void;
}

function typingIn(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))
  );
}

/**
 * j/k or arrows move, Enter opens, 1–4 give a verdict, n goes to the note, ? shows the keys. While the user types in
 * a field the keys are text, and Escape leaves the field.
 */
export function useReviewKeys(handlers: ReviewKeyHandlers): void {
  const current = useRef(handlers);
  current.current = handlers;
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
      if (typingIn(event.target)) {
        if (event.key === "Escape") (event.target as HTMLElement).blur();
        return;
      }
      // A modal box (the keys' list) has the keyboard to itself, but for ? which closes it.
      if (document.querySelector("dialog[open]") && event.key !== "?") return;
      const h = current.current;
      const run = (handler: (() => void) | undefined) => {
        if (!handler) return false;
        handler();
        return true;
      };
      let handled = false;
      switch (event.key) {
        case "j":
        case "ArrowDown":
          handled = run(h.onMove && (() => h.onMove?.(1)));
          break;
        case "k":
        case "ArrowUp":
          handled = run(h.onMove && (() => h.onMove?.(-1)));
          break;
        case "Enter":
          // Enter on a button or link keeps its own meaning.
          if (!(event.target instanceof HTMLButtonElement || event.target instanceof HTMLAnchorElement))
            handled = run(h.onOpen);
          break;
        case "1":
        case "2":
        case "3":
        case "4": {
          const verdict = reviewVerdicts[Number(event.key) - 1];
          handled = run(verdict && h.onVerdict && (() => h.onVerdict?.(verdict)));
          break;
        }
        case "n":
          handled = run(h.onNote);
          break;
        case "?":
          handled = run(h.onHelp);
          break;
      }
      if (handled) event.preventDefault();
    };
    window.addEventListener("keydown", onKeyDown);
    return () => window.removeEventListener("keydown", onKeyDown);
  }, []);
}

/** The verdict buttons (with their keys) and the note. */
export function VerdictPanel(props: {
  readonly noteRef: RefObject<HTMLTextAreaElement | null>;
  readonly note: string;
  readonly onNoteChange: (note: string) => void;
  readonly onVerdict: (verdict: ReviewVerdict) => void;
  readonly busy: boolean;
}) {
  const t = useMessages(reviewMessages);
  return (
    <div className="review-panel">
      <label>
        {t("note")}
        <textarea
          ref={props.noteRef}
          rows={2}
          maxLength={5000}
          value={props.note}
          placeholder={t("notePlaceholder")}
          onChange={(event) => props.onNoteChange(event.currentTarget.value)}
        />
      </label>
      <div className="verdicts" role="group" aria-label={t("keyVerdict")}>
        {reviewVerdicts.map((verdict, index) => (
          <button
            key={verdict}
            type="button"
            className={verdict === "illegal_offer" ? "primary" : undefined}
            disabled={props.busy}
            onClick={() => props.onVerdict(verdict)}
            aria-keyshortcuts={String(index + 1)}
          >
            <kbd>{index + 1}</kbd> {t(`verdict.${verdict}`)}
          </button>
        ))}
      </div>
    </div>
  );
}

/** The list of keys, as a modal dialog (Escape closes it). */
export function KeysHelp(props: { readonly open: boolean; readonly onClose: () => void }) {
  const t = useMessages(reviewMessages);
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (props.open && !element.open) element.showModal();
    if (!props.open && element.open) element.close();
  }, [props.open]);
  return (
    <dialog ref={dialog} className="keys-help" onClose={props.onClose} aria-labelledby="keys-help-title">
      <h2 id="keys-help-title">{t("keysTitle")}</h2>
      <dl>
        <dt>
          <kbd>j</kbd> <kbd>k</kbd> <kbd>↓</kbd> <kbd>↑</kbd>
        </dt>
        <dd>{t("keyMove")}</dd>
        <dt>
          <kbd>Enter</kbd>
        </dt>
        <dd>{t("keyOpen")}</dd>
        <dt>
          <kbd>1</kbd>–<kbd>4</kbd>
        </dt>
        <dd>
          {t("keyVerdict")}: {reviewVerdicts.map((verdict) => t(`verdict.${verdict}`)).join(", ")}
        </dd>
        <dt>
          <kbd>n</kbd>
        </dt>
        <dd>{t("keyNote")}</dd>
        <dt>
          <kbd>?</kbd>
        </dt>
        <dd>{t("keyHelp")}</dd>
        <dt>
          <kbd>Esc</kbd>
        </dt>
        <dd>{t("keyEscape")}</dd>
      </dl>
      <form method="dialog">
        <button type="submit" className="primary">
          {t("close")}
        </button>
      </form>
    </dialog>
  );
}
