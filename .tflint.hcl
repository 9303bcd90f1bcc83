# tflint for terraform/ and every module (scripts/tf_lint.sh). The AWS ruleset is the locally built
# plugin in $TFLINT_PLUGIN_DIR (scripts/bootstrap.sh tools): no source/version, nothing is downloaded.
config {
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "recommended"
}

plugin "aws" {
  enabled = true
}

rule "terraform_documented_variables" {
  enabled = true
}

rule "terraform_documented_outputs" {
  enabled = true
}

rule "terraform_naming_convention" {
  enabled = true
}
