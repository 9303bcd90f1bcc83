terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100.0, < 6.0.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = ">= 1.3.0, < 3.0.0"
    }
  }

  # Partial S3 backend: bucket/key/region come from environments/backend/<env>.s3.tfbackend
  # (terraform init -backend-config=...). The local environment and the tests never initialise it:
  # scripts/tf_local.sh runs the local env with a local state (see environments/README.md).
  backend "s3" {}
}
