"""python -m bot                      long polling (TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL)
python -m bot --webhook https://host/path [--listen 0.0.0.0 --port 8443]
                                   a webhook; requests must carry the secret token
                                   (TELEGRAM_WEBHOOK_SECRET, generated when unset)."""

from __future__ import annotations

import argparse
import gc
import secrets
import sys
from urllib.parse import urlsplit

from bot.application import ALLOWED_UPDATES, MissingToken, build_application
from diaspora import create_app

SWITCH_INTERVAL = 0.001  # seconds; see main()
GEN0 = 10_000  # allocations between collections of the youngest generation (Python: 700)


def settle_garbage_collector() -> None:
    """Everything built at start-up (the Flask app, SQLAlchemy's mappers, the handlers) lives
    as long as the process: frozen, the cyclic collector no longer walks those hundreds of
    thousands of objects in each full collection. And each update allocates thousands of
    short-lived objects (python-telegram-bot's, the ORM's), so the youngest generation is
    collected every GEN0 allocations instead of Python's 700. Both cut the collector's share
    of the bot's CPU (a few per cent under load); nothing is kept that would be freed."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GEN0, *gc.get_threshold()[1:])


def main(argv: list[str] | None = None) -> int:
    # The event loop gives up the GIL at every socket call and then waits for it while a
    # worker thread builds ORM objects; with Python's default 5 ms slices a reply could wait
    # that long behind someone else's query several times over. 1 ms slices keep the loop
    # responsive; the cost (more thread switches) is small next to a database call.
    sys.setswitchinterval(SWITCH_INTERVAL)
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="The Mekendesh Telegram bot."
    )
    parser.add_argument(
        "--webhook",
        metavar="URL",
        help="public HTTPS URL Telegram posts updates to (default: long polling)",
    )
    parser.add_argument(
        "--listen",
        default="0.0.0.0",  # noqa: S104 - a webhook server listens for Telegram
        help="address of the webhook server",
    )
    parser.add_argument("--port", type=int, default=8443, help="port of the webhook server")
    args = parser.parse_args(argv)

    flask_app = create_app()
    try:
        application = build_application(flask_app)
    except MissingToken as error:
        print(error, file=sys.stderr)
        return 2
    settle_garbage_collector()
    api = flask_app.config["TELEGRAM_API_URL"]
    if not args.webhook:
        print(f"Mekendesh bot: long polling {api} (Ctrl+C to stop).", flush=True)
        application.run_polling(allowed_updates=ALLOWED_UPDATES)
        return 0
    secret = flask_app.config.get("TELEGRAM_WEBHOOK_SECRET")
    if not secret:
        secret = secrets.token_urlsafe(32)
        print(
            "TELEGRAM_WEBHOOK_SECRET is not set: using a fresh random secret for this run "
            "(Telegram is told it; set the variable to keep one across restarts).",
            flush=True,
        )
    path = urlsplit(args.webhook).path.strip("/")
    print(f"Mekendesh bot: webhook {args.webhook} -> {args.listen}:{args.port}/{path}", flush=True)
    application.run_webhook(
        listen=args.listen,
        port=args.port,
        url_path=path,
        webhook_url=args.webhook,
        secret_token=secret,
        allowed_updates=ALLOWED_UPDATES,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
