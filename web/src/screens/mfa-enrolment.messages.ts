import { defineMessages } from "../i18n/messages.ts";

/** Setting up an authenticator app: every person needs one before the dashboard opens. */
export const mfaEnrolmentMessages = defineMessages({
  en: {
    title: "Set up two-step verification",
    intro:
      "Hello {name}. Every wildtrawl account is protected by a second step: a code from an authenticator app on your phone (such as FreeOTP, Aegis, Google Authenticator or Microsoft Authenticator).",
    scan: "1. Scan this QR code with the app.",
    qrLabel: "QR code for adding wildtrawl to an authenticator app",
    typeInstead: "Cannot scan it? Enter this key in the app instead (time-based, 6 digits):",
    secretLabel: "Key",
    uriLabel: "Set-up link",
    enterCode: "2. Enter the 6-digit code the app now shows for wildtrawl.",
    code: "Code from the app",
    confirm: "Confirm and continue",
    confirming: "Checking…",
    codeWrong:
      "That code is not right. Enter the newest code the app shows, and check that your phone’s clock is set automatically.",
    preparing: "Preparing your key…",
    signOut: "Sign out",
  },
  fr: {
    title: "Configurer la validation en deux étapes",
    intro:
      "Bonjour {name}. Chaque compte wildtrawl est protégé par une seconde étape : un code d’une application d’authentification sur votre téléphone (par exemple FreeOTP, Aegis, Google Authenticator ou Microsoft Authenticator).",
    scan: "1. Scannez ce code QR avec l’application.",
    qrLabel: "Code QR pour ajouter wildtrawl à une application d’authentification",
    typeInstead:
      "Impossible de le scanner ? Saisissez plutôt cette clé dans l’application (basée sur l’heure, 6 chiffres) :",
    secretLabel: "Clé",
    uriLabel: "Lien de configuration",
    enterCode: "2. Saisissez le code à 6 chiffres que l’application affiche maintenant pour wildtrawl.",
    code: "Code de l’application",
    confirm: "Confirmer et continuer",
    confirming: "Vérification…",
    codeWrong:
      "Ce code n’est pas correct. Saisissez le code le plus récent affiché par l’application et vérifiez que l’heure de votre téléphone est réglée automatiquement.",
    preparing: "Préparation de votre clé…",
    signOut: "Se déconnecter",
  },
  es: {
    title: "Configurar la verificación en dos pasos",
    intro:
      "Hola, {name}. Cada cuenta de wildtrawl está protegida por un segundo paso: un código de una aplicación de autenticación en su teléfono (por ejemplo FreeOTP, Aegis, Google Authenticator o Microsoft Authenticator).",
    scan: "1. Escanee este código QR con la aplicación.",
    qrLabel: "Código QR para añadir wildtrawl a una aplicación de autenticación",
    typeInstead:
      "¿No puede escanearlo? Introduzca esta clave en la aplicación (basada en la hora, 6 dígitos):",
    secretLabel: "Clave",
    uriLabel: "Enlace de configuración",
    enterCode: "2. Introduzca el código de 6 dígitos que la aplicación muestra ahora para wildtrawl.",
    code: "Código de la aplicación",
    confirm: "Confirmar y continuar",
    confirming: "Comprobando…",
    codeWrong:
      "Ese código no es correcto. Introduzca el código más reciente que muestra la aplicación y compruebe que la hora de su teléfono se ajusta automáticamente.",
    preparing: "Preparando su clave…",
    signOut: "Cerrar sesión",
  },
});
