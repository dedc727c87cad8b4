; An IRQ that rises during OAM DMA (NESdev wiki, "DMA" and "CPU interrupts"): the write to $4014
; is the last cycle of STA; the DMA unit then halts the CPU on its next read, the opcode fetch of
; the following instruction, for 513 or 514 cycles. STA polled for interrupts before its write,
; before the DMA started, so an IRQ that rises during the DMA is first seen at the penultimate
; cycle of the instruction after STA: that one instruction runs before the IRQ sequence.
;
; Method: the APU frame IRQ (4-step mode; flag set 29,828 + 3..4 cycles after a $4017 write) is
; the timer; STA $4014 writes 256 + 22 cycles before it, so the IRQ rises near the middle of the
; DMA (the check has a margin of about 250 cycles either way). Then INX x4; the IRQ handler
; records X.
; Checks (result code):
;   1  the IRQ was taken right after STA $4014 (X = 0): it must wait for one instruction
;   2  the IRQ came later than one instruction after the DMA (X > 1), or never came (X = $FF)
  .include "shell.asm"

irq_x = $10

main:
  lda #<irq_handler
  sta irq_ptr
  lda #>irq_handler
  sta irq_ptr+1
  lda #$FF
  sta irq_x
  lda #$00
  sta $4017             ; 4-step mode, IRQ enabled: the sequencer restarts
  jsr wait_fixed
  ldx #0
  cli
  lda #$02
  sta $4014             ; OAM DMA from $0200: the frame IRQ rises during it
  inx
  inx
  inx
  inx
  sei
  lda irq_x
  beq @fail1
  cmp #1
  bne @fail2
  jmp passed
@fail1:
  lda #1
  jmp finish
@fail2:
  lda #2
  jmp finish

irq_handler:
  stx irq_x
  lda $4015             ; acknowledge the frame IRQ
  pla
  ora #$04              ; return with I set
  pha
  rti

; 29,555 cycles: 23 * (5 * 255 + 6) + 1, then 5 * 18 + 1.
wait_fixed:
  ldx #23
@outer:
  ldy #255
@inner:
  dey
  bne @inner
  dex
  bne @outer
  ldy #18
@rest:
  dey
  bne @rest
  rts
