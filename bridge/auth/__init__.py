"""Who may enter the admin console and the campaign tracker."""
