from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Контрагенты")

    def ready(self) -> None:
        from crm.queries import may_see_company
        from crm.threads import THREAD, register
        from files.hooks import register_owner

        register()
        # A company's documents are its own: whoever may open the card downloads them.
        register_owner(THREAD, may_see=may_see_company)

    def seed_demo(self) -> None:
        """Existing counterparties of «Аксиома» (called by `manage.py seed_demo`, idempotent).

        A card is added only when no company has its ИНН+КПП (or, for the foreign one, its
        registration number) yet; the cards pass `validate_card`, or seeding fails loudly.
        """
        from crm import services
        from crm.demo import demo_cards
        from crm.validation import validate_card

        for card in demo_cards():
            if services.company_duplicates(card):
                continue
            check = validate_card(card)
            if not check.ok:  # pragma: no cover - guards the demo data against the rule book
                raise ValueError(f"demo card {card['name']!r} is invalid: {check.errors}")
            cleaned = services.fill_defaults(dict(check.cleaned), starter=None)
            services.create_company(cleaned, actor=None)
