# A monthly cost budget with alerts on actual spend at each threshold and on the forecast at the highest.
locals {
  thresholds = { for t in var.alert_thresholds_percent : tostring(t) => t }
  max        = max(var.alert_thresholds_percent...)
}

resource "aws_budgets_budget" "monthly" {
  count = var.enabled ? 1 : 0

  name         = "${var.name_prefix}-monthly"
  budget_type  = "COST"
  limit_amount = format("%.2f", var.monthly_limit_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  dynamic "cost_filter" {
    for_each = length(var.cost_filter_tags) > 0 ? [1] : []
    content {
      name   = "TagKeyValue"
      values = [for k, v in var.cost_filter_tags : "user:${k}$${v}"]
    }
  }

  dynamic "notification" {
    for_each = local.thresholds
    content {
      comparison_operator        = "GREATER_THAN"
      threshold                  = notification.value
      threshold_type             = "PERCENTAGE"
      notification_type          = "ACTUAL"
      subscriber_email_addresses = var.subscriber_emails
      subscriber_sns_topic_arns  = var.subscriber_sns_topic_arns
    }
  }

  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = local.max
    threshold_type             = "PERCENTAGE"
    notification_type          = "FORECASTED"
    subscriber_email_addresses = var.subscriber_emails
    subscriber_sns_topic_arns  = var.subscriber_sns_topic_arns
  }

  lifecycle {
    precondition {
      condition     = length(var.subscriber_emails) + length(var.subscriber_sns_topic_arns) > 0
      error_message = "budgets: set subscriber_emails or subscriber_sns_topic_arns, or an alert reaches no one."
    }
  }
}
