variable "enabled" {
  description = "Create the monthly budget (the Budgets API needs billing access; off where it cannot be reached)."
  type        = bool
  default     = true
}

variable "name_prefix" {
  description = "Resource name prefix, <project>-<environment>."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}$", var.name_prefix))
    error_message = "name_prefix must be 3-41 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "monthly_limit_usd" {
  description = "Monthly cost budget in USD."
  type        = number
  default     = 500

  validation {
    condition     = var.monthly_limit_usd > 0 && var.monthly_limit_usd <= 1000000
    error_message = "monthly_limit_usd must be greater than 0 and at most 1000000."
  }
}

variable "alert_thresholds_percent" {
  description = "Percentages of the monthly limit at which actual spend alerts fire (forecast alert at the highest)."
  type        = list(number)
  default     = [50, 80, 100]

  validation {
    condition     = length(var.alert_thresholds_percent) > 0 && alltrue([for t in var.alert_thresholds_percent : t > 0 && t <= 1000])
    error_message = "alert_thresholds_percent must list values between 1 and 1000."
  }
}

variable "subscriber_emails" {
  description = "Email addresses notified by the budget alerts."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.subscriber_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "subscriber_emails must be email addresses."
  }
}

variable "subscriber_sns_topic_arns" {
  description = "SNS topic ARNs notified by the budget alerts (e.g. the warning topic)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.subscriber_sns_topic_arns : can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:.+$", a))])
    error_message = "subscriber_sns_topic_arns must be SNS topic ARNs (arn:aws:sns:<region>:<account>:<name>)."
  }
}

variable "cost_filter_tags" {
  description = "Cost-allocation tags (key => value) limiting the budget to this platform's resources; empty means the whole account."
  type        = map(string)
  default     = {}
}
