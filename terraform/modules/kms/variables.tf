variable "name_prefix" {
  description = "Resource name prefix, <project>-<environment> (aliases become alias/<name_prefix>-<key>)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}$", var.name_prefix))
    error_message = "name_prefix must be 3-41 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "deletion_window_in_days" {
  description = "Waiting period before a scheduled key deletion completes (7-30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be between 7 and 30."
  }
}

variable "log_group_name_patterns" {
  description = "CloudWatch Logs log-group name patterns (wildcards allowed) whose data the logs key may encrypt; bound through the kms:EncryptionContext:aws:logs:arn condition."
  type        = list(string)

  validation {
    condition     = length(var.log_group_name_patterns) > 0 && alltrue([for p in var.log_group_name_patterns : p != "*" && length(p) > 1])
    error_message = "log_group_name_patterns must list at least one pattern, and \"*\" alone (every log group in the account) is not allowed."
  }
}

variable "key_administrator_arns" {
  description = "Extra IAM principals allowed to administer (not use) the keys. The account root always keeps administration so IAM policies can delegate."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.key_administrator_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", a))])
    error_message = "key_administrator_arns must be IAM role or user ARNs (arn:aws:iam::<12-digit account>:role/<name>)."
  }
}
