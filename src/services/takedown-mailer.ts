import nodemailer from "nodemailer";

/** The slice of e-mail that sending a notice needs: one plain-text message with its JSON attached. */
export interface NoticeMail {
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  /** Chosen by us and the same on every attempt, so a platform can tell a resent notice from a new one. */
  readonly messageId: string;
  readonly attachment: { readonly filename: string; readonly content: string; readonly contentType: string };
}

export interface NoticeMailer {
  /** Resolves once the SMTP server has accepted the message; rejects with its reason otherwise. */
  send(mail: NoticeMail): Promise<{ readonly response: string }>;
  close(): void;
}

/** Sends through the SMTP server at `smtpUrl` (smtp:// or smtps://, credentials in the URL). */
export function createSmtpMailer(smtpUrl: string, options: { timeoutMs?: number } = {}): NoticeMailer {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const url = new URL(smtpUrl);
  const transport = nodemailer.createTransport({
    host: url.hostname,
    port: url.port ? Number(url.port) : url.protocol === "smtps:" ? 465 : 587,
    secure: url.protocol === "smtps:",
    ...(url.username
      ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }
      : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // A plain smtp:// to a loopback sink (tests, a local relay) needs no TLS; anything else upgrades if offered.
    ignoreTLS: url.protocol === "smtp:" && (url.hostname === "127.0.0.1" || url.hostname === "localhost"),
  });
  return {
    async send(mail) {
      const info = await transport.sendMail({
        from: mail.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        messageId: mail.messageId,
        attachments: [
          {
            filename: mail.attachment.filename,
            content: mail.attachment.content,
            contentType: mail.attachment.contentType,
          },
        ],
      });
      return { response: String(info.response ?? "") };
    },
    close: () => transport.close(),
  };
}
