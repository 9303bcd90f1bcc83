output "budget_name" {
  description = "Name of the monthly budget (null when disabled)."
  value       = try(aws_budgets_budget.monthly[0].name, null)
}

output "budget_arn" {
  description = "ARN of the monthly budget (null when disabled)."
  value       = try(aws_budgets_budget.monthly[0].arn, null)
}
