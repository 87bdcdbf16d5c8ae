"""One member at the desk: status, actions (points, treatment, rewards, plan, card), history, consents.

Every action ends in a sentence on the status line ("+42 points, 1,242 in total") and, for ledger
entries, an Undo button that works for one minute (a reversing entry, never an edit).
"""
from __future__ import annotations

import flet as ft

from loyalty.adapters.channels import channels_from_config
from loyalty.adapters.printer import PrinterConfig, print_card
from loyalty.services import (
    award_purchase,
    cancel_plan,
    card_pdf,
    card_token,
    consents,
    current_program,
    desk,
    earning_items,
    email_card,
    join_plan,
    member_status,
    plan_status,
    qr_png,
    record_treatment,
    redeem,
    refund,
    reissue_card,
    reward_options,
    set_consent,
    undo,
    update_profile,
    use_benefit,
)
from staff_app import downloads, flags
from staff_app.ui import MUTED, Choice, Ctx, card, consent_line, euros_to_cents, heading, text_field


def build(ctx: Ctx, member_id: str) -> ft.Control:
    status = ctx.attempt(member_status, member_id)
    if status is None:
        return ft.Column([back(ctx)])
    page = MemberPage(ctx, member_id)
    return page.view()


def back(ctx: Ctx) -> ft.Control:
    return ft.TextButton(ctx.t("member.back"), icon=ft.Icons.ARROW_BACK, on_click=lambda e: ctx.show("desk"))


class MemberPage:
    def __init__(self, ctx: Ctx, member_id: str):
        self.ctx = ctx
        self.member_id = member_id
        self.program = current_program()
        self.status = member_status(member_id)
        self.profile = desk.member_profile(member_id)
        self.card_slot = ft.Column(spacing=8)
        self.refund_slot = ft.Column(spacing=8)

    # --- after an action ---------------------------------------------------------------
    def done(self, text: str, entry_id: str | None = None) -> None:
        ctx = self.ctx
        ctx.ok(text)
        if entry_id:
            ctx.undo_slot.controls = [ft.OutlinedButton(ctx.t("member.undo"), icon=ft.Icons.UNDO,
                                                        on_click=lambda e: self.undo(entry_id))]
        self.reload()

    def reload(self) -> None:
        slot = list(self.ctx.undo_slot.controls)
        self.ctx.show("member", self.member_id)
        self.ctx.undo_slot.controls = slot

    def undo(self, entry_id: str) -> None:
        result = self.ctx.attempt(undo, entry_id, self.ctx.actor)
        if result is not None:
            self.ctx.ok(self.ctx.t("member.undone", points=self.signed(result.points),
                                   balance=self.ctx.num(result.balance)))
            self.reload()

    def signed(self, points: int) -> str:
        return ("+" if points > 0 else "") + self.ctx.num(points)

    # --- layout ------------------------------------------------------------------------
    def view(self) -> ft.Control:
        left = ft.Column([self.award_box(), self.treatment_box(), self.redeem_box(), self.plan_box(),
                          self.card_box()], spacing=12, scroll=ft.ScrollMode.AUTO, expand=1,
                         horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        right = ft.Column([self.recall_box(), self.note_box(), self.history_box(), self.consent_box()],
                          spacing=12, scroll=ft.ScrollMode.AUTO, expand=1,
                          horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        return ft.Column([back(self.ctx), self.header(),
                          ft.Row([left, right], expand=True, spacing=16,
                                 vertical_alignment=ft.CrossAxisAlignment.START)],
                         spacing=8, expand=True)

    def header(self) -> ft.Control:
        ctx, s = self.ctx, self.status
        facts = [
            ctx.t("member.points", points=ctx.num(s.points)),
            ctx.t("member.stamps", on=s.stamps_on_card, per=s.stamps_per_card),
            ctx.t("member.tier", tier=ctx.name(s.tier_name)),
        ]
        if s.next_tier_name:
            facts.append(ctx.t("member.next_tier", points=ctx.num(s.points_to_next_tier),
                               tier=ctx.name(s.next_tier_name)))
        extra = []
        if s.perks:   # one discreet line: what the tier and the plan entitle them to, for the desk to honour
            extra.append(ft.Text(ctx.t("member.perks", perks=" · ".join(ctx.reward_name(code) for code in s.perks)),
                                 size=16, color=MUTED))
        return ft.Container(ft.Column([
            ft.Row([heading(f"{s.first_name} {s.last_name or ''}".strip(), 26),
                    ft.Text("   ".join(facts), size=17)], wrap=True, spacing=20),
            *self.ready_lines(), *extra, *flags.member_lines(ctx, self.member_id, on_done=self.reload),
        ], spacing=4), padding=12, border_radius=12, bgcolor="#e8eff1")

    def ready_lines(self) -> list[ft.Control]:
        """Readable at arm's length: how many rewards are ready and the biggest, the rest small below."""
        ctx = self.ctx
        ready = sorted(self.status.rewards_ready, key=self.reward_rank)
        if not ready:
            return [ft.Text(ctx.t("member.no_reward_ready"), size=16)]
        best = self.reward_label(ready[0])
        line = (ctx.t("member.reward_ready_one", reward=best) if len(ready) == 1
                else ctx.t("member.rewards_ready_count", count=len(ready), reward=best))
        lines: list[ft.Control] = [ft.Text(line, size=17, weight=ft.FontWeight.BOLD, color="#8a4b00")]
        if len(ready) > 1:
            lines.append(
                ft.Text(
                    ctx.t("member.rewards_also", rewards=" · ".join(self.reward_label(c) for c in ready[1:])),
                    color=MUTED,
                )
            )
        return lines

    def reward_rank(self, code: str) -> tuple[int, int]:
        """Points rewards by cost, dearest first, then stamp rewards."""
        reward = self.program.rewards[code]
        return (0, -reward.cost_points) if reward.cost_points is not None else (1, -(reward.cost_stamps or 0))

    def reward_label(self, code: str) -> str:
        reward = self.program.rewards[code]
        cost = (
            self.ctx.t("member.cost_points", points=self.ctx.num(reward.cost_points))
            if reward.cost_points is not None
            else self.ctx.t("member.cost_stamps", stamps=reward.cost_stamps)
        )
        return f"{self.ctx.reward_name(code)} ({cost})"

    def items(self, codes) -> list[tuple[str, str]]:
        catalogue = self.program.catalogue
        return [
            (code, f"{self.ctx.name(catalogue[code].name)} ({self.ctx.raw('category.' + catalogue[code].category)})")
            for code in codes
            if code in catalogue
        ]

    # --- actions -----------------------------------------------------------------------
    def award_box(self) -> ft.Control:
        ctx = self.ctx
        amount = text_field(ctx, label=ctx.t("member.amount"), width=160, suffix="€")
        offered = earning_items()
        needed = self.program.compliance.award_needs_item
        item = Choice(ctx.t("member.item_required" if needed else "member.item_optional"), self.items(offered))
        hint = ([ft.Text(ctx.t("member.award_hint"), color=MUTED)]
                if len(offered) < len(self.program.catalogue) else [])

        def award(e) -> None:
            cents = euros_to_cents(amount.value or "")
            if cents is None:
                ctx.fail(ctx.t("member.amount_unreadable"))
                return
            result = ctx.attempt(award_purchase, self.member_id, cents, ctx.actor, item_code=item.value or None)
            if result:
                self.done(ctx.t("member.awarded", points=self.signed(result.points),
                                balance=ctx.num(result.balance)), result.entry_id)

        return card(heading(ctx.t("member.award_title"), 18), amount, item, *hint,
                    ft.Button(ctx.t("member.award"), icon=ft.Icons.ADD, on_click=award))

    def treatment_box(self) -> ft.Control:
        ctx = self.ctx
        item = Choice(ctx.t("member.treatment"), self.items(
            code for code, i in self.program.catalogue.items()
            if i.recall_days is not None or i.category in ("physician_service", "cosmetic")))

        def save(e) -> None:
            if not item.value:
                ctx.fail(ctx.t("member.choose_treatment"))
                return
            result = ctx.attempt(record_treatment, self.member_id, item.value, ctx.actor)
            if result is None:
                return
            parts = [ctx.t("member.treatment_done", item=ctx.item_name(item.value))]
            if result.recall_due:
                parts.append(ctx.t("member.recall_set", date=ctx.date(result.recall_due)))
            if result.points:
                parts.append(ctx.t("member.points_added", points=self.signed(result.points),
                                   balance=ctx.num(member_status(self.member_id).points)))
            elif result.note:
                parts.append(ctx.t("member.no_points_treatment"))
            self.done(" ".join(parts), result.entry_id)

        return card(heading(ctx.t("member.treatment_title"), 18), item,
                    ft.Button(ctx.t("member.record_treatment"), icon=ft.Icons.MEDICAL_SERVICES, on_click=save))

    def redeem_box(self) -> ft.Control:
        ctx = self.ctx
        rows: list[ft.Control] = []
        for option in reward_options(self.member_id):
            if not option.affordable:
                continue
            cost = (ctx.t("member.cost_points", points=ctx.num(option.cost_points)) if option.cost_points is not None
                    else ctx.t("member.cost_stamps", stamps=option.cost_stamps))
            points = text_field(ctx, label=ctx.t("member.points_to_use"), width=210,
                                  value=str(min(option.cost_points, self.status.points))) if option.partial else None
            target = Choice(ctx.t("member.for_item"), self.items(option.items)) if option.items else None
            rows.append(ft.Container(ft.Column([
                ft.Row([ft.Text(ctx.name(option.name), size=16, weight=ft.FontWeight.BOLD, expand=True),
                        ft.Text(f"{ctx.raw('kind.' + option.kind)} · {cost}")]),
                *[c for c in (points, target) if c is not None],
                ft.Row([ft.Button(ctx.t("member.redeem_named", reward=ctx.name(option.name)), icon=ft.Icons.REDEEM,
                                  on_click=lambda e, o=option, p=points, t=target: self.redeem(o, p, t))]),
            ], spacing=6), bgcolor="white", padding=10, border_radius=8))
        if not rows:
            rows = [ft.Text(ctx.t("member.no_rewards"), italic=True)]
        return card(heading(ctx.t("member.redeem_title"), 18), *rows)

    def redeem(self, option, points_field, target) -> None:
        ctx = self.ctx
        points = None
        if points_field is not None:
            text = (points_field.value or "").strip()
            if not (text.lstrip("-").isascii() and text.lstrip("-").isdigit()):     # int() also reads '²'
                ctx.fail(ctx.t("member.points_unreadable"))
                return
            points = int(text)
        result = ctx.attempt(redeem, self.member_id, option.code, ctx.actor, points=points,
                             item_code=(target.value or None) if target is not None else None)
        if result is None:
            return
        spent = (ctx.t("member.spent_points", points=ctx.num(result.points)) if result.points
                 else ctx.t("member.spent_stamps", stamps=result.stamps))
        value = ctx.t("member.worth", value=ctx.money(result.value_cents)) if result.value_cents else ""
        self.done(ctx.t("member.redeemed", reward=ctx.name(option.name), spent=spent, value=value,
                        balance=ctx.num(result.balance)), result.entry_id)

    def plan_box(self) -> ft.Control:
        ctx = self.ctx
        plan = plan_status(self.member_id)
        if plan is None:
            choice = Choice(ctx.t("member.plan"), [(p.code, f"{ctx.name(p.name)} · {ctx.money(p.price_cents)}")
                                                   for p in self.program.plans.values()])

            def join(e) -> None:
                if not choice.value:
                    ctx.fail(ctx.t("member.choose_plan"))
                    return
                result = ctx.attempt(join_plan, self.member_id, choice.value, ctx.actor)
                if result:
                    self.done(ctx.t("member.plan_joined", plan=ctx.name(self.program.plans[result.plan_code].name),
                                    date=ctx.date(result.renews_on)))

            return card(heading(ctx.t("member.plan_title"), 18), ft.Text(ctx.t("member.no_plan")),
                        choice, ft.Button(ctx.t("member.join_plan"), on_click=join))
        name = ctx.name(self.program.plans[plan.plan_code].name)

        def use(code: str) -> None:
            result = ctx.attempt(use_benefit, self.member_id, code, ctx.actor)
            if result:
                self.done(ctx.t("member.benefit_used", benefit=self.benefit_name(code),
                                left=result.benefits_left[code]))

        def cancel(e) -> None:
            if ctx.run(cancel_plan, self.member_id, ctx.actor):
                self.done(ctx.t("member.plan_cancelled", plan=name))

        benefits = [ft.Row([ft.Text(ctx.t("member.benefit_left", benefit=self.benefit_name(code), left=left),
                                    expand=True),
                            ft.Button(ctx.t("member.use_named", benefit=self.benefit_name(code)), disabled=left <= 0,
                                      on_click=lambda e, c=code: use(c))])
                    for code, left in plan.benefits_left.items()]
        return card(heading(ctx.t("member.plan_title"), 18),
                    ft.Text(ctx.t("member.plan_active", plan=name, date=ctx.date(plan.renews_on)), size=16),
                    *benefits, ft.TextButton(ctx.t("member.cancel_plan"), icon=ft.Icons.CANCEL, on_click=cancel))

    def benefit_name(self, code: str) -> str:
        if code in self.program.catalogue:
            return self.ctx.item_name(code)
        return self.ctx.reward_name(code)

    def card_box(self) -> ft.Control:
        ctx = self.ctx
        return card(heading(ctx.t("member.card_title"), 18), ft.Text(ctx.t("member.card_hint")),
                    ft.Button(ctx.t("member.reissue"), icon=ft.Icons.QR_CODE, on_click=lambda e: self.ask_reissue()),
                    self.card_slot)

    def ask_reissue(self) -> None:
        """A new card stops the old one at once: asked first, so a slip of the finger costs nothing."""
        ctx = self.ctx
        ctx.touch()
        name = self.status.first_name

        def confirmed(e) -> None:
            ctx.page.pop_dialog()
            self.reissue()
            ctx.page.update()   # the dialog's handler: push the page, not only the dialog

        ctx.page.show_dialog(ft.AlertDialog(
            modal=True, title=ft.Text(ctx.t("member.reissue_title", name=name)),
            content=ft.Text(ctx.t("member.reissue_text", name=name)),
            actions=[ft.TextButton(ctx.t("cancel"), on_click=lambda e: ctx.page.pop_dialog()),
                     ft.Button(ctx.t("member.reissue_confirm"), icon=ft.Icons.QR_CODE, on_click=confirmed)]))

    def reissue(self) -> None:
        ctx = self.ctx
        token = ctx.attempt(reissue_card, self.member_id, ctx.actor)
        if token is None:
            return
        pdf = downloads.offer(card_pdf(token), "card.pdf", "application/pdf")
        actions: list[ft.Control] = [ft.Button(ctx.t("member.print_card"), icon=ft.Icons.PICTURE_AS_PDF, url=pdf)]
        notes: list[ft.Control] = []
        if self.profile.email and "email" in channels_from_config(ctx.config):
            actions.append(ft.Button(ctx.t("member.email_card", email=self.profile.email), icon=ft.Icons.EMAIL,
                                     on_click=lambda e: self.email_card()))
        elif self.profile.email:
            notes.append(ft.Text(ctx.t("member.email_not_set_up"), color=MUTED))
        if PrinterConfig.from_config(ctx.config.printer) is not None:
            actions.append(ft.Button(ctx.t("member.slip_card"), icon=ft.Icons.PRINT,
                                     on_click=lambda e: self.print_slip()))
        self.card_slot.controls = [
            ft.Image(src=qr_png(token, box_size=6), width=180, height=180,
                     semantics_label=ctx.t("member.new_card_qr")),
            ft.Row(actions, wrap=True, spacing=8, run_spacing=8),
            *notes,
        ]
        ctx.ok(ctx.t("member.card_reissued"))

    def email_card(self) -> None:
        ctx = self.ctx
        sent = ctx.attempt(email_card, self.member_id, ctx.actor, channels_from_config(ctx.config))
        if sent:
            ctx.ok(ctx.t("member.card_emailed", email=sent.to))

    def print_slip(self) -> None:
        """The card on the station's receipt printer, as the kiosk prints it for a new member."""
        ctx = self.ctx
        token = ctx.attempt(card_token, self.member_id)
        if token is None:
            return
        try:
            print_card(PrinterConfig.from_config(ctx.config.printer), token, program_name=self.program.name,
                       first_name=self.status.first_name, bonus_points=0, lang=ctx.lang)
        except Exception:   # escpos raises its own errors besides OSError when the printer is away
            ctx.fail(ctx.t("member.slip_failed"))
            return
        ctx.ok(ctx.t("member.slip_printed"))

    # --- information -------------------------------------------------------------------
    def recall_box(self) -> ft.Control:
        ctx = self.ctx
        recalls = desk.member_recalls(self.member_id)
        lines = [ft.Text(ctx.t("member.recall_line", item=ctx.item_name(r.item_code), date=ctx.date(r.recall_due),
                               done=ctx.date(r.performed_at))) for r in recalls]
        return card(heading(ctx.t("member.recall_title"), 18),
                    *(lines or [ft.Text(ctx.t("member.no_recall"), italic=True)]))

    def note_box(self) -> ft.Control:
        ctx = self.ctx
        note = text_field(ctx, label=ctx.t("member.note"), value=desk.member_profile(self.member_id).note or "",
                            multiline=True, min_lines=2, max_lines=4)

        def save(e) -> None:
            if ctx.attempt(update_profile, self.member_id, ctx.actor, note=(note.value or "").strip() or None):
                ctx.ok(ctx.t("member.note_saved"))

        return card(heading(ctx.t("member.note_title"), 18), note,
                    ft.Button(ctx.t("member.save_note"), icon=ft.Icons.SAVE, on_click=save))

    def history_box(self) -> ft.Control:
        ctx = self.ctx
        rows: list[ft.Control] = []
        for h in desk.member_history(self.member_id):
            what = ctx.t(f"kind.{h.kind}")
            detail = " · ".join(x for x in (ctx.reward_name(h.reward_code), ctx.item_name(h.item_code)) if x)
            change = []
            if h.points:
                change.append(ctx.t("member.points_short", points=self.signed(h.points)))
            if h.stamps:
                change.append(ctx.t("member.stamps_short", stamps=self.signed(h.stamps)))
            if h.amount_cents and h.kind in ("purchase", "treatment", "refund"):
                change.append(ctx.money(h.amount_cents))
            cells = [ft.Text(ctx.when(h.at), width=150), ft.Text(f"{what} {detail}".strip(), expand=True),
                     ft.Text(", ".join(change))]
            if h.refundable:
                cells.append(
                    ft.TextButton(
                        ctx.t("member.refund"),
                        tooltip=ctx.t("member.refund_named", when=ctx.when(h.at)),
                        on_click=lambda e, row=h: self.ask_refund(row),
                    )
                )
            rows.append(ft.Row(cells, spacing=8))
        return card(heading(ctx.t("member.history_title"), 18), self.refund_slot,
                    *(rows or [ft.Text(ctx.t("member.no_history"), italic=True)]))

    def ask_refund(self, row: desk.HistoryRow) -> None:
        """How much of the purchase goes back: all that is left unless staff type less."""
        ctx = self.ctx
        left = row.refundable_cents
        amount = text_field(ctx, label=ctx.t("member.refund_amount"), width=180, suffix="€",
                            value=f"{left // 100}{',' if ctx.lang == 'de' else '.'}{left % 100:02d}")

        def book(e) -> None:
            cents = euros_to_cents(amount.value or "")
            if cents is None:
                ctx.fail(ctx.t("member.amount_unreadable"))
                return
            self.refund(row.entry_id, cents)

        def close(e) -> None:
            self.refund_slot.controls = []

        self.refund_slot.controls = [ft.Container(ft.Column([
            ft.Text(ctx.t("member.refund_question", when=ctx.when(row.at), amount=ctx.money(row.amount_cents),
                          left=ctx.money(left)), weight=ft.FontWeight.BOLD),
            amount,
            ft.Row([ft.Button(ctx.t("member.refund_book"), icon=ft.Icons.UNDO, on_click=book),
                    ft.TextButton(ctx.t("member.refund_cancel"), on_click=close)], wrap=True),
        ], spacing=6), bgcolor="white", padding=10, border_radius=8)]

    def refund(self, entry_id: str, cents: int) -> None:
        result = self.ctx.attempt(refund, entry_id, self.ctx.actor, amount_cents=cents)
        if result:
            self.done(self.ctx.t("member.refunded", amount=self.ctx.money(cents), points=self.signed(result.points),
                                 balance=self.ctx.num(result.balance)), result.entry_id)

    def consent_box(self) -> ft.Control:
        ctx = self.ctx
        state = consents(self.member_id)
        history = desk.consent_history(self.member_id)
        latest = {c.purpose: c for c in history}
        rows: list[ft.Control] = []
        for purpose, granted in state.items():
            event = latest.get(purpose)
            if event is None:
                line = ctx.t("consent.never", what=ctx.t(f"consent.{purpose}"))
            else:
                line = ctx.t("consent.state_granted" if granted else "consent.state_withdrawn",
                             what=ctx.t(f"consent.{purpose}"), when=ctx.when(event.at))
            action = ctx.t("consent.record_withdrawal" if granted else "consent.record_grant",
                           what=ctx.t(f"consent.{purpose}"))
            rows.append(ft.Column([
                ft.Text(line, weight=ft.FontWeight.BOLD if granted else None),
                ft.OutlinedButton(action, on_click=lambda e, p=purpose, g=not granted: self.change_consent(p, g)),
            ], spacing=4))
        lines = [ft.Text(consent_line(ctx, c), color=MUTED)
                 for c in history]
        return card(heading(ctx.t("member.consent_title"), 18), *rows, ft.Text(ctx.t("consent.hint")),
                    *([ft.Text(ctx.t("consent.history_title"), weight=ft.FontWeight.BOLD)] if lines else []),
                    *lines)

    def change_consent(self, purpose: str, granted: bool) -> None:
        ctx = self.ctx
        if ctx.run(set_consent, self.member_id, purpose, granted, ctx.actor, "staff"):
            at = desk.consent_history(self.member_id)[-1].at
            self.done(ctx.t("consent.recorded_grant" if granted else "consent.recorded_withdrawal",
                            what=ctx.t(f"consent.{purpose}"), when=ctx.when(at)))
