"""The GitHub Action's script (`action.yml`) and the pull request comment it keeps."""
