"""Translation between JSON and campaigns. Input serializers check types and shapes;
the rules (shares add up, codes exist, transitions) are the services' job."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from campaigns import plan_changes, selectors
from campaigns.models import AuditEvent, Campaign, Channel, Comment, Delegation, Notification, PromoWindow
from capacity.models import Dimension, SignOff, SignOffLine
from capacity.selectors import active_dimensions


class SkuLineSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=40)
    share = serializers.DecimalField(max_digits=5, decimal_places=4, min_value=0, max_value=1)


class RegionLineSerializer(serializers.Serializer):
    region = serializers.CharField(max_length=40)
    share = serializers.DecimalField(max_digits=5, decimal_places=4, min_value=0, max_value=1)


class CampaignInputSerializer(serializers.Serializer):
    """Create (all required fields) or PATCH (partial) a plan."""

    name = serializers.CharField(max_length=200)
    brief = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    channel = serializers.ChoiceField(choices=Channel.choices)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    orders_per_day = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False, allow_null=True)
    sessions_per_day = serializers.IntegerField(min_value=1, max_value=100_000_000, required=False, allow_null=True)
    conversion_rate = serializers.DecimalField(
        max_digits=6, decimal_places=5, min_value=0, max_value=1, required=False, allow_null=True
    )
    units_per_order = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=0, required=False)
    cod_share = serializers.DecimalField(max_digits=5, decimal_places=4, min_value=0, max_value=1, required=False)
    delivery_promise_days = serializers.IntegerField(min_value=1, max_value=60, required=False)
    budget = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    expected_order_value = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False)
    auto_pause_on_stockout = serializers.BooleanField(required=False)
    skus = SkuLineSerializer(many=True, allow_empty=False)
    regions = RegionLineSerializer(many=True, allow_empty=False)

    def validate(self, attrs):
        starts, ends = attrs.get("starts_on"), attrs.get("ends_on")
        if starts and ends and ends < starts:
            raise serializers.ValidationError({"ends_on": ["Must be on or after starts_on."]})
        if not self.partial and attrs.get("orders_per_day") is None and attrs.get("sessions_per_day") is None:
            raise serializers.ValidationError(
                {"orders_per_day": ["Give orders_per_day, or sessions_per_day with conversion_rate."]}
            )
        return attrs


class LineOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    share = serializers.DecimalField(max_digits=5, decimal_places=4)


class SignOffSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.get_username", read_only=True)

    class Meta:
        model = SignOff
        fields = [
            "id", "dimension", "decision", "approved_orders_per_day", "comment", "actor", "plan_version", "verdict",
            "created_at",
        ]  # fmt: skip


class SignOffLineSerializer(serializers.Serializer):
    sku = serializers.CharField(source="sku.code")
    decision = serializers.CharField()
    approved_units_per_day = serializers.IntegerField(allow_null=True)
    comment = serializers.CharField()


class SignOffDetailSerializer(SignOffSerializer):
    """A sign-off as its campaign's sign-offs list shows it: with the away approver the
    actor signed for (delegation), when they did. (The campaign JSON's embedded approvals
    keep `SignOffSerializer`'s fields: `campaigns.api_json` reads them by hand.)"""

    on_behalf_of = serializers.CharField(
        source="on_behalf_of.get_username", read_only=True, allow_null=True, default=None
    )

    lines = SignOffLineSerializer(many=True, read_only=True)

    class Meta(SignOffSerializer.Meta):
        fields = [*SignOffSerializer.Meta.fields, "on_behalf_of", "lines"]


# One instance serves every row: a serializer per sign-off per campaign rebuilt its
# fields each time (most of a 50-row list's time, issue 7). to_representation is pure.
_SIGN_OFF = SignOffSerializer()


class SignOffLineInputSerializer(serializers.Serializer):
    """One SKU's decision in an inventory approval; the rules are the service's."""

    sku = serializers.CharField(max_length=64)
    decision = serializers.ChoiceField(choices=SignOffLine.Decision.choices)
    approved_units_per_day = serializers.IntegerField(
        min_value=1, max_value=10_000_000, required=False, allow_null=True
    )
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


@extend_schema_field(SignOffLineInputSerializer(many=True))
class SignOffLinesField(serializers.ListField):
    """A list of per-SKU decisions (documented as `SignOffLineInputSerializer`). Each line
    is checked by the service, whose errors come per line and field:
    {"lines": [{"sku": [...]}, {}, ...]}; here only that it is a list."""

    child = serializers.JSONField()


class SignOffInputSerializer(serializers.Serializer):
    dimension = serializers.ChoiceField(choices=Dimension.choices)
    decision = serializers.ChoiceField(choices=SignOff.Decision.choices)
    approved_orders_per_day = serializers.IntegerField(
        min_value=1, max_value=1_000_000, required=False, allow_null=True
    )
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    lines = SignOffLinesField(required=False, allow_empty=True)


class CommentInputSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ScaleUpInputSerializer(CommentInputSerializer):
    orders_per_day = serializers.IntegerField(min_value=1, max_value=1_000_000)


class CampaignSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.get_username", read_only=True)
    skus = serializers.SerializerMethodField()
    regions = serializers.SerializerMethodField()
    sign_offs = serializers.SerializerMethodField()
    dropped_lines = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = [
            "id", "name", "brief", "channel", "owner", "starts_on", "ends_on", "forecast_basis", "orders_per_day",
            "sessions_per_day", "conversion_rate", "units_per_order", "cod_share", "delivery_promise_days", "budget",
            "expected_order_value", "auto_pause_on_stockout", "skus", "regions", "status", "plan_version",
            "approved_orders_per_day", "scale_up_pending", "late_notice", "submitted_at", "signoff_due_at",
            "sign_offs", "dropped_lines", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_skus(self, campaign) -> list[dict]:
        return [{"sku": line.sku.code, "share": str(line.share)} for line in campaign.sku_lines.all()]

    def get_regions(self, campaign) -> list[dict]:
        return [{"region": line.region.code, "share": str(line.share)} for line in campaign.region_lines.all()]

    def get_sign_offs(self, campaign) -> dict:
        """The approval that currently covers each dimension (null: not approved yet)."""
        approvals = campaign.current_approvals()
        return {d: (_SIGN_OFF.to_representation(approvals[d]) if d in approvals else None) for d in active_dimensions()}

    def get_dropped_lines(self, campaign) -> list[dict]:
        """The SKU lines the covering inventory approval refused or capped, and why
        (`campaigns.selectors.dropped_lines`; empty: every SKU approved as planned)."""
        return [dropped_line_json(line.sku.code, line) for line in selectors.dropped_lines(campaign)]


def dropped_line_json(code: str, line) -> dict:
    """One refused or capped line as the API shows it (`line`: a `SignOffLine` or a row like it)."""
    return {
        "sku": code,
        "decision": line.decision,
        "approved_units_per_day": line.approved_units_per_day,
        "comment": line.comment,
    }


class FindingSerializer(serializers.Serializer):
    dimension = serializers.CharField()
    severity = serializers.CharField()
    code = serializers.CharField()
    day = serializers.DateField(allow_null=True)
    subject = serializers.CharField()
    message = serializers.CharField()
    needed = serializers.IntegerField(allow_null=True)
    available = serializers.IntegerField(allow_null=True)


class BindingSerializer(serializers.Serializer):
    sign_off_dimension = serializers.CharField()
    dimension = serializers.CharField()
    subject = serializers.CharField()
    what = serializers.CharField()
    day = serializers.DateField(allow_null=True)
    why = serializers.CharField(allow_blank=True)
    words = serializers.CharField()


class CapacityCheckSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=["fits", "fits_with_warnings", "exceeds"])
    orders_per_day = serializers.IntegerField()
    max_orders_per_day = serializers.IntegerField()
    max_by_dimension = serializers.DictField(child=serializers.IntegerField())
    gross_roas = serializers.FloatField(allow_null=True)
    net_roas = serializers.FloatField(allow_null=True)
    findings = FindingSerializer(many=True)
    summary = serializers.CharField(help_text="The verdict in words: what fits, what binds it, what was approved.")
    binding = BindingSerializer(allow_null=True, help_text="What sets max_orders_per_day (null: nothing limits it).")


class PlanChangeSerializer(serializers.Serializer):
    """A changed field of a plan (`campaigns.plan_changes.FieldChange`): its label, both
    values as the audit trail records them, and the change in people's words."""

    field = serializers.CharField()
    label = serializers.CharField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)
    text = serializers.CharField()


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    plan_changes = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "action",
            "actor",
            "from_status",
            "to_status",
            "plan_version",
            "comment",
            "changes",
            "plan_changes",
            "created_at",
        ]

    def get_actor(self, event) -> str | None:
        return event.actor.get_username() if event.actor_id else None

    @extend_schema_field(PlanChangeSerializer(many=True))
    def get_plan_changes(self, event) -> list[dict]:
        """What the event changed in the plan (an edit, a scale-up), in words."""
        return [change.as_dict() for change in plan_changes.event_changes(event)]


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.get_username", read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "created_at"]


class CommentAddSerializer(serializers.Serializer):
    """Input of a comment: the service checks it (not empty, at most 5,000 characters, no NUL)."""

    body = serializers.CharField()


class QueueEntrySerializer(serializers.Serializer):
    campaign = CampaignSerializer()
    dimensions = serializers.ListField(child=serializers.CharField())
    scale_up = serializers.BooleanField()
    waiting_since = serializers.DateTimeField(allow_null=True)
    check = CapacityCheckSerializer()
    on_behalf_of = serializers.DictField(
        child=serializers.CharField(),
        default=dict,
        help_text="Dimensions you decide for an approver away today (delegation): dimension → their username.",
    )
    changes_since_signoff = PlanChangeSerializer(many=True)


class CalendarEntrySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["campaign", "promo_window", "constraint", "stock_arrival"])
    id = serializers.IntegerField()
    title = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    status = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True)


class PromoWindowSerializer(serializers.ModelSerializer):
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = PromoWindow
        fields = ["id", "name", "starts_on", "ends_on", "channel", "notes", "created_by"]

    def get_created_by(self, window) -> str | None:
        return window.created_by.get_username() if window.created_by_id else None


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "body", "campaign", "created_at", "read_at"]


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    email = serializers.CharField(allow_blank=True)
    roles = serializers.ListField(child=serializers.CharField())
    is_staff = serializers.BooleanField()


class DelegationSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.get_username", read_only=True)
    delegate = serializers.CharField(source="delegate.get_username", read_only=True)
    active = serializers.SerializerMethodField(help_text="In force today.")

    class Meta:
        model = Delegation
        fields = ["id", "user", "delegate", "starts_on", "ends_on", "active", "created_at"]

    def get_active(self, obj) -> bool:
        from django.utils import timezone

        return obj.active_on(timezone.localdate())


class DelegationInputSerializer(serializers.Serializer):
    delegate = serializers.CharField(max_length=150, help_text="Username of who takes your sign-offs.")
    starts_on = serializers.DateField(help_text="First day away.")
    ends_on = serializers.DateField(help_text="Last day away (included).")
