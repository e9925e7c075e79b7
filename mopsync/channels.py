"""Marketing channels: the vocabulary campaigns are planned in (`campaigns`) and the returns
import reports orders by (`capacity`). Shared, like the roles, so that neither app reads
the other's models for it."""

from django.db import models


class Channel(models.TextChoices):
    META = "meta", "Meta"
    GOOGLE = "google", "Google"
    EMAIL = "email", "Email"
    INFLUENCER = "influencer", "Influencer"
    MARKETPLACE = "marketplace", "Marketplace"
    OTHER = "other", "Other"
