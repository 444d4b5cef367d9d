"""A synthetic demo registry: fictional people, fictional 555 numbers, families sharing a phone.

Deterministic (seeded), so every `make run` on an empty Redis loads the same demo members, plus one
named member to call the phone line as (`CALLER`, README "Phone line"), added after the seeded ones.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta

from bot.membership.members import HEADER

FIRST_NAMES = [
    "Gisèle", "Réjean", "Sophie", "Mathis", "Louise", "Gaétan", "Chantal", "Éric", "Nathalie", "Benoît",
    "Julie", "Marc-André", "Élodie", "Olivier", "Léa", "William", "Emma", "Félix", "Rose", "Thomas",
    "Jacqueline", "Gilles", "Monique", "Yvon", "Francine", "Normand", "Amina", "Kevin", "Marie-Ève", "Samuel",
]  # fmt: skip
LAST_NAMES = [
    "Tremblay", "Gagnon", "Roy", "Côté", "Bouchard", "Gauthier", "Morin", "Lavoie", "Fortin", "Gagné",
    "Ouellet", "Pelletier", "Bélanger", "Lévesque", "Bergeron", "Leblanc", "Paquette", "Girard", "Simard", "Boucher",
]  # fmt: skip
COOPS = {
    "VM": ("Coopérative de solidarité santé Val-Morin", ["819", "873"]),
    "HL": ("Coopérative de santé des Hautes-Laurentides", ["819", "450"]),
}
HOUSEHOLDS = 110
# The phone line's acceptance call (issue 19): a Val-Morin member with the telemedicine plan, alone on
# her phone, who says "le douze mars mille neuf cent cinquante-six". No seeded phone is 819-555-0156.
CALLER = (
    "VM-001956", "Rolande", "Vézina", "1956-03-12", "819-555-0156", COOPS["VM"][0], "actif", "2030-12-31",
)  # fmt: skip


def demo_registry_csv(seed: int = 2026, today: date | None = None) -> bytes:
    """At least 200 members in about 110 households; each household shares one 555 number. Then `CALLER`."""
    today = today or date(2026, 11, 1)
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    serial = 100
    used_phones: set[str] = set()
    for household in range(HOUSEHOLDS):
        prefix = "VM" if household % 3 else "HL"
        coop, area_codes = COOPS[prefix]
        while True:
            phone = f"{rng.choice(area_codes)}-555-01{rng.randrange(100):02d}"
            if phone not in used_phones:
                used_phones.add(phone)
                break
        last_name = rng.choice(LAST_NAMES)
        size = rng.choice([1, 2, 2, 2, 3, 3, 4])
        plan_until = rng.choice([None, today + timedelta(days=rng.randrange(30, 400)), today - timedelta(days=40)])
        status = rng.choices(["actif", "expire", "suspendu"], weights=[85, 10, 5])[0]
        for person in range(size):
            serial += 1
            age = rng.randrange(25, 90) if person < 2 else rng.randrange(0, 18)
            birth = today - timedelta(days=age * 365 + rng.randrange(365))
            writer.writerow(
                [
                    f"{prefix}-{serial:06d}",
                    rng.choice(FIRST_NAMES),
                    last_name,
                    birth.isoformat(),
                    phone,
                    coop,
                    status,
                    plan_until.isoformat() if plan_until else "",
                ]
            )
    writer.writerow(CALLER)  # after the seeded rows, drawing nothing from `rng`: they stay the same
    return out.getvalue().encode("utf-8")
