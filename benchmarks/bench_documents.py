"""Document benchmark: emails rendered per second and letter pages per second.

    python benchmarks/bench_documents.py [--emails 5000] [--letters 300]

Targets (issue 5): at least 2,000 emails rendered per second (subject, text and HTML parts
from the templates, assembled as a MIME message) and at least 100 letter pages per second
(PDF with letterhead, invoice table and EPC QR code), on this 2-core machine.
"""

from __future__ import annotations

import argparse
import copy
import time
from datetime import date
from decimal import Decimal

from pypdf import PdfReader

from relance.documents.email import build_email, message_id_for
from relance.documents.epc import epc_payload
from relance.documents.pdf import InvoiceLine, Letter, Party, PenaltyLine, render_batch
from relance.documents.render import environment, render, sample_context


def contexts(n: int) -> list[dict[str, object]]:
    """`n` distinct contexts derived from the sample (different clients and amounts)."""
    base = sample_context()
    out = []
    for i in range(n):
        ctx = copy.deepcopy(base)
        ctx["client"]["name"] = f"Client {i:05d} SARL"  # type: ignore[index]
        ctx["total_open"] = Decimal(1000 + i) + Decimal("0.56")
        out.append(ctx)
    return out


def bench_emails(n: int) -> tuple[float, float]:
    """(emails rendered per second: subject, text and HTML from the templates;
    the same plus the MIME message assembled and serialised)."""
    env = environment(None)
    items = contexts(n)
    name = "relance_courtoise"
    rendered = []
    started = time.perf_counter()
    for ctx in items:
        rendered.append((render(env, name, "subject", ctx).strip(),
                         render(env, name, "email.txt", ctx), render(env, name, "email.html", ctx)))
    render_rate = n / (time.perf_counter() - started)
    started = time.perf_counter()
    for i, (subject, text, html) in enumerate(rendered):
        build_email(sender="compta@acme.fr", sender_name="ACME Services",
                    to=f"c{i}@example.org", reply_to="compta@acme.fr", subject=subject,
                    text=text, html=html, message_id=message_id_for(f"bench:{i}", "acme.fr")
                    ).as_bytes()
    mime_s = time.perf_counter() - started
    return render_rate, n / (n / render_rate + mime_s)


def letter(i: int) -> Letter:
    """A realistic two-invoice reminder letter with penalties and a payment QR code."""
    invoices = tuple(InvoiceLine(f"F2026-{i:05d}-{k}", date(2026, 2, 14), date(2026, 3, 16),
                                 Decimal("1234.56"), Decimal("1234.56")) for k in range(3))
    return Letter(
        sender=Party("ACME Services", ("1 place Bellecour", "69002 Lyon"),
                     ("ACME Services SAS au capital de 10 000,00 € – RCS Lyon 732829320",)),
        recipient=Party(f"Client {i:05d} SARL", ("3 rue de la Gare", "69001 Lyon")),
        place="Lyon", on=date(2026, 6, 30), subject="Seconde relance",
        paragraphs=("Madame, Monsieur,",
                    "Sauf erreur de notre part, les factures ci-dessous restent impayées. "
                    "Nous vous remercions de bien vouloir procéder à leur règlement." * 2,
                    "Veuillez agréer nos salutations distinguées."),
        invoices=invoices,
        penalties=(PenaltyLine("Pénalités de retard", Decimal("45.10"),
                               "du 17/03/2026 au 30/06/2026, 106 jours à 12,15 %"),),
        total_due=Decimal("3748.78"),
        payment=("IBAN : FR76 3000 6000 0112 3456 7890 189", "BIC : AGRIFRPP"),
        qr_payload=epc_payload(name="ACME Services", iban="FR7630006000011234567890189",
                               bic="AGRIFRPP", amount=Decimal("3748.78") + i,
                               reference=f"CL{i:05d}"),
        signature=("Claire Martin", "Gérante"), footer=("ACME Services SAS – RCS Lyon",))


def bench_letters(n: int) -> tuple[float, float]:
    """Render a daily batch of `n` letters as one PDF: (letters/s, pages/s)."""
    letters = [letter(i) for i in range(n)]
    started = time.perf_counter()
    pdf = render_batch(letters)
    elapsed = time.perf_counter() - started
    import io

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    return n / elapsed, pages / elapsed


def main() -> None:
    """Run both and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--emails", type=int, default=5000)
    parser.add_argument("--letters", type=int, default=300)
    args = parser.parse_args()
    rendered, with_mime = bench_emails(args.emails)
    print(f"emails:  {rendered:,.0f} rendered per second (subject, text and HTML), "
          f"{with_mime:,.0f} per second with the MIME message built ({args.emails:,} emails)")
    per_letter, per_page = bench_letters(args.letters)
    print(f"letters: {per_letter:,.0f} letters/s, {per_page:,.0f} pages/s "
          f"({args.letters} letters in one batch PDF)")


if __name__ == "__main__":
    main()
