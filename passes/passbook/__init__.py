"""An enterprise's issued passes after approval: listing them (我的通行证), printing a selection,
and renewing them (续期). The portal, the API and the admin call these services."""
